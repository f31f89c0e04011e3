// dynalite-server: a DynamoDB emulator (npm dynalite, in memory) for the store tests and benchmark. It
// listens on 127.0.0.1 on a free port, prints that port on one line, and exits when its stdin closes, so
// the process that started it (tests/unit/store/dynalite_local.h) never leaves it behind.
'use strict';
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
