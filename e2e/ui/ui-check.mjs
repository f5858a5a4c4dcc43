// Opens the Temporal Web UI, finds a rotation by its Keyturn search attribute, opens it and waits
// for the text a person should see (its summary). Saves a screenshot. Uses the system Chromium:
// playwright-core never downloads a browser.
//   node ui-check.mjs <ui-url> <namespace> <workflow-id> <secret-id> <expected-text> <png-path>
import { chromium } from 'playwright-core';

const [ui, namespace, workflowId, secretId, expected, shot] = process.argv.slice(2);
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
  // Summary and details are the workflow's user metadata: open that tab, then look for the text.
  await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 45000 });
  // The UI renders user metadata (markdown) in a sandboxed iframe: look in every frame.
  const deadline = Date.now() + 45000;
  let found = false;
  while (!found && Date.now() < deadline) {
    for (const frame of page.frames()) {
      const hit = frame.getByText(expected, { exact: false }).first();
      if (await hit.isVisible().catch(() => false)) {
        found = true;
        break;
      }
    }
    if (!found) await page.waitForTimeout(500);
  }
  if (!found) throw new Error(`no frame shows "${expected}"`);
  await page.screenshot({ path: shot });
  console.log(`UI: found ${workflowId} by KeyturnSecretId="${secretId}" and saw "${expected}"`);
} catch (e) {
  await (await browser.contexts()[0]?.pages()[0])?.screenshot({ path: shot + '.failed.png' }).catch(() => {});
  console.error('UI check failed: ' + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
