// Opens the Temporal Web UI, finds a rotation by its Keyturn search attribute, opens it, waits for
// its decoded input and for the text a person should see in each user-metadata panel (Summary,
// Details, Current Details), then saves a screenshot and prints where each panel is in it, so the
// caller can check the picture is not blank there. Uses the system Chromium: playwright-core never
// downloads a browser. Payloads are encrypted: the UI shows them only by decoding them through the
// worker's codec endpoint, so seeing them proves that path works.
//   node ui-check.mjs <ui-url> <namespace> <workflow-id> <secret-id> <png-path> <input-text>
//                     <panel>=<text>...   e.g. "Summary=Rotate billing-api g1"
// Prints "panel <name> box <x> <y> <width> <height>" per panel (pixels of the PNG).
import { chromium } from 'playwright-core';

const [ui, namespace, workflowId, secretId, shot, inputText, ...panelArgs] = process.argv.slice(2);
const panels = panelArgs.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]);

// True once some frame shows the text (the UI renders some parts, e.g. markdown, in iframes).
async function seen(page, text, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const hit = frame.getByText(text, { exact: false }).first();
      if (await hit.isVisible().catch(() => false)) return true;
    }
    await page.waitForTimeout(500);
  }
  return false;
}

// The iframe under a panel's heading: the UI renders each decoded payload as markdown in one.
function panelFrame(page, name) {
  return page.locator(`xpath=//h3[normalize-space()='${name}']/following::iframe[1]`);
}

// Waits until the panel's own document (the iframe's) has the text.
async function panelShows(page, name, text, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const frame = panelFrame(page, name);
  while (Date.now() < deadline) {
    const handle = await frame.elementHandle({ timeout: 1000 }).catch(() => null);
    const doc = handle && (await handle.contentFrame());
    const shown = doc && (await doc.evaluate(() => document.body?.innerText ?? '').catch(() => ''));
    if (shown && shown.includes(text)) return true;
    await page.waitForTimeout(250);
  }
  return false;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const query = `KeyturnSecretId="${secretId}"`;
  await page.goto(`${ui}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
  const row = page.getByText(workflowId, { exact: true }).first();
  await row.waitFor({ timeout: 45000 });
  await row.click();
  // The history page opens on "Input and Results": the decoded start input is shown there.
  if (!(await seen(page, inputText, 45000))) {
    throw new Error(`the workflow's input does not show "${inputText}" (not decoded?)`);
  }
  console.log(`UI: the decoded input shows "${inputText}"`);
  // Summary and details are the workflow's user metadata: open that tab, then wait for each panel.
  await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 45000 });
  for (const [name, text] of panels) {
    if (!(await panelShows(page, name, text, 45000))) {
      throw new Error(`the ${name} panel does not show "${text}" (not decoded, or blank?)`);
    }
    console.log(`UI: the ${name} panel shows "${text}"`);
  }
  // Text in the DOM is not yet text on the screen: let two frames be painted first.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(500);
  await page.screenshot({ path: shot });
  for (const [name] of panels) {
    const b = await panelFrame(page, name).boundingBox();
    console.log(`panel ${name} box ${Math.round(b.x)} ${Math.round(b.y)} ${Math.floor(b.width)} ${Math.floor(b.height)}`);
  }
  console.log(`UI: found ${workflowId} by KeyturnSecretId="${secretId}"`);
} catch (e) {
  await (await browser.contexts()[0]?.pages()[0])?.screenshot({ path: shot + '.failed.png' }).catch(() => {});
  console.error('UI check failed: ' + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
