import { runDaemon } from '../../src/runtime/daemon.js';
import { clcComponent } from './component.js';

await runDaemon(clcComponent);
