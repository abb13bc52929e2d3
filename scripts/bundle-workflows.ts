/**
 * `npm run build`'s second step: bundles the workflow code (workflows and their OpenTelemetry
 * interceptors, as workflowBundleOptions() says) once, at build time, beside the compiled worker
 * (`dist/workflows/workflow-bundle.js`), so a production worker starts without webpack.
 * Argument: the output file (default: the compiled worker's PREBUILT_WORKFLOW_BUNDLE).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE, workflowBundleOptions } from '../workflows/worker';

async function main(): Promise<void> {
  const out = process.argv[2] ?? PREBUILT_WORKFLOW_BUNDLE;
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
