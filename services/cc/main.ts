import { runDaemon } from '../../src/runtime/daemon.js';
import { ccComponent } from './component.js';

await runDaemon(ccComponent);
