// Opens the Temporal Web UI, finds a rotation by its Keyturn search attribute, opens it and waits
// for the text a person should see (its summary). Saves a screenshot. Uses the system Chromium:
// playwright-core never downloads a browser. Payloads are encrypted: the UI shows them only by
// decoding them through the worker's codec endpoint, so seeing them proves that path works.
//   node ui-check.mjs <ui-url> <namespace> <workflow-id> <secret-id> <expected-text> <png-path>
//                     [<input-text>]   (also wait for this text in the workflow's decoded input)
import { chromium } from 'playwright-core';

const [ui, namespace, workflowId, secretId, expected, shot, inputText] = process.argv.slice(2);

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

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const query = `KeyturnSecretId="${secretId}"`;
  await page.goto(`${ui}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
  const row = page.getByText(workflowId, { exact: true }).first();
  await row.waitFor({ timeout: 45000 });
  await row.click();
  if (inputText) {
    // The history page opens on "Input and Results": the decoded start input is shown there.
    if (!(await seen(page, inputText, 45000))) {
      throw new Error(`the workflow's input does not show "${inputText}" (not decoded?)`);
    }
    console.log(`UI: the decoded input shows "${inputText}"`);
  }
  // Summary and details are the workflow's user metadata: open that tab, then look for the text.
  await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 45000 });
  if (!(await seen(page, expected, 45000))) throw new Error(`no frame shows "${expected}"`);
  await page.screenshot({ path: shot });
  console.log(`UI: found ${workflowId} by KeyturnSecretId="${secretId}" and saw "${expected}"`);
} catch (e) {
  await (await browser.contexts()[0]?.pages()[0])?.screenshot({ path: shot + '.failed.png' }).catch(() => {});
  console.error('UI check failed: ' + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
