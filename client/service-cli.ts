#!/bin/sh
//usr/bin/env true; exec node --import "$(dirname "$(readlink -f "$0")")/../node_modules/tsx/dist/esm/index.mjs" "$(readlink -f "$0")" "$@"
// service-cli: browse the service catalog, deploy services and manage deployments, backups, billing and budgets.
// The line above lets the file run as a program from anywhere: sh reads it, JavaScript sees a comment.
import { Command } from 'commander';
import { registerBillingCommands } from './commands/billing.ts';
import { registerCatalogCommands } from './commands/catalog.ts';
import { registerDeployCommand } from './commands/deploy.ts';
import { registerDeploymentCommands } from './commands/deployments.ts';
import { registerOperationCommands } from './commands/operations.ts';
import { examples, runProgram, setupProgram } from './program.ts';

const CLI = 'service-cli';
const program = setupProgram(new Command(), CLI, 'Deploy and manage services on the Elide marketplace (log in with publish-cli login)');
registerCatalogCommands(program, CLI);
registerDeployCommand(program, CLI);
registerDeploymentCommands(program, CLI);
registerOperationCommands(program, CLI);
registerBillingCommands(program, CLI);
examples(program, [`${CLI} list`, `${CLI} deploy postgres-managed`, `${CLI} status deploy-abc123`, `${CLI} billing --json`]);
await runProgram(program);
