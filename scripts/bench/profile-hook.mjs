// Preloaded with NODE_OPTIONS=--import by probe.ts (Node 20 refuses --cpu-prof in NODE_OPTIONS): records a V8
// CPU profile of the whole process and writes it to $BENCH_PROFILE_DIR/<pid>-<entry>.cpuprofile on exit.
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // Same-thread inspector sessions answer synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      const name = path.basename(process.argv[process.argv.length - 1] ?? 'node').replace(/\W+/g, '-');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${process.pid}-${name}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
