/**
 * Every `warden` command: its name, the one-line summary `warden --help` lists, and how to load it. Only the invoked
 * command's module is imported (each is its own chunk in the compiled CLI), so `warden version` does not pay for the
 * AWS SDK, dynalite or the report renderer.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
  /** Draws its own progress (or runs another program in the foreground): no generic status line. */
  ownProgress?: true;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'run the reference incident end to end (ingest, baselines, reconcile, rollout, drift, audit, report)',
    load: () => import('./demo.ts'),
    ownProgress: true,
  },
  {
    name: 'ingest',
    summary: 'parse CloudTrail, Bedrock, VPC flow and node-agent files into the store',
    load: () => import('./ingest.ts'),
    ownProgress: true,
  },
  {
    name: 'subjects',
    summary: 'every subject with its class and baseline status',
    load: () => import('./subjects.ts'),
  },
  {
    name: 'inventory',
    summary: 'runtime-derived AI inventory of a subject: snapshot, diff, or CycloneDX ML-BOM',
    load: () => import('./inventory.ts'),
  },
  {
    name: 'classes',
    summary: 'agent class templates and each subject with its class',
    load: () => import('./classes.ts'),
  },
  {
    name: 'baseline',
    summary: 'the behavior baseline of a subject, with its convergence',
    load: () => import('./baseline.ts'),
  },
  {
    name: 'reconcile',
    summary: 'declared vs observed scope: Unused Excess and Inherited Overreach',
    load: () => import('./reconcile.ts'),
  },
  {
    name: 'track',
    summary: 'observation track (observe-in-production or pre-enforced) with reasons',
    load: () => import('./track.ts'),
  },
  {
    name: 'artifacts',
    summary: 'NetworkPolicies, seccomp profiles and IAM tightenings derived from the baseline',
    load: () => import('./artifacts.ts'),
  },
  {
    name: 'rollout',
    summary: 'roll artifacts out per agent class: monitor, measure, enforce or roll back',
    load: () => import('./rollout.ts'),
  },
  {
    name: 'drift',
    summary: 'classify drift into expected evolution vs risky drift',
    load: () => import('./drift.ts'),
  },
  {
    name: 'audit',
    summary: 'cross-layer audit trail of a ticket, session, request or rollout; verify the chain',
    load: () => import('./audit.ts'),
  },
  {
    name: 'coverage',
    summary: 'which inputs (trails, data events, Bedrock logging, flow logs, node agents) are missing',
    load: () => import('./coverage.ts'),
  },
  {
    name: 'report',
    summary: 'write a self-contained HTML report of every agent in the store',
    load: () => import('./report.ts'),
  },
  {
    name: 'backfill',
    summary: 'ingest up to 90 days of CloudTrail management events (LookupEvents)',
    load: () => import('./backfill.ts'),
  },
  {
    name: 'agent',
    summary: 'the node agent: profile a local command with eBPF (agent watch -- CMD)',
    load: () => import('./agent.ts'),
    ownProgress: true,
  },
  { name: 'version', summary: 'print the Warden version', load: () => import('./version.ts') },
];
