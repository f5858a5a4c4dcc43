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
  await page.locator(`text=${expected} >> visible=true`).first().waitFor({ timeout: 45000 });
  await page.screenshot({ path: shot });
  console.log(`UI: found ${workflowId} by KeyturnSecretId="${secretId}" and saw "${expected}"`);
} catch (e) {
  await (await browser.contexts()[0]?.pages()[0])?.screenshot({ path: shot + '.failed.png' }).catch(() => {});
  console.error('UI check failed: ' + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
