import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../scripts/migrate';
import { workflowBundleOptions } from '../../workflows/worker';
import { WORKFLOW_BUNDLE_PATH } from './temporal';
import { TEST_DATABASE_PATTERN, databaseUrl, templateDatabase, withAdmin } from './pg-admin';

/**
 * Runs once per `jest` run: migrates a template database that every suite clones (CREATE DATABASE …
 * TEMPLATE is a file copy, far faster than migrating per suite), after removing what runs that died left.
 */
export default async function globalSetup(): Promise<void> {
  const template = templateDatabase();
  process.env.TRACK15_TEST_TEMPLATE = template; // inherited by the test workers jest starts next
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'track15\\_%'`);
    for (const { datname } of rows) {
      const owner = TEST_DATABASE_PATTERN.exec(datname)?.[1];
      if (owner && !isAlive(Number(owner))) await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    await admin.query(`create database "${template}"`);
  });
  await migrate(databaseUrl(template, 'owner'), 'up');
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
  await mkdir(dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  await writeFile(WORKFLOW_BUNDLE_PATH, code);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
