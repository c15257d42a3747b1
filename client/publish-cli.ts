#!/bin/sh
//usr/bin/env true; exec node --import "$(dirname "$(readlink -f "$0")")/../node_modules/tsx/dist/esm/index.mjs" "$(readlink -f "$0")" "$@"
// publish-cli: log in, search, inspect and publish packages (npm, PyPI, Maven, RubyGems) on the Elide registry.
// The line above lets the file run as a program from anywhere: sh reads it, JavaScript sees a comment.
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.ts';
import { registerAuthCommands } from './commands/auth.ts';
import { registerPackageCommands } from './commands/packages.ts';
import { registerPublishCommand } from './commands/publish.ts';
import { registerRegistryOpsCommands } from './commands/registry-ops.ts';
import { examples, runProgram, setupProgram } from './program.ts';

const CLI = 'publish-cli';
const program = setupProgram(new Command(), CLI, 'Publish and manage packages on the Elide registry');
registerAuthCommands(program, CLI);
registerPackageCommands(program, CLI);
registerPublishCommand(program, CLI);
registerRegistryOpsCommands(program, CLI);
registerAuditCommand(program, CLI);
examples(program, [`${CLI} login`, `${CLI} search elide`, `${CLI} publish ./my-package`, `${CLI} info @elide/http --json`]);
await runProgram(program);
