import { runDaemon } from '../../src/runtime/daemon.js';
import { scComponent } from './component.js';

await runDaemon(scComponent);
