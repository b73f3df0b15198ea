/**
 * xterm.js and its fit add-on, a script of their own (assets/xterm.js): the
 * page loads it when the first terminal opens (terminals.ts loadXterm), not
 * with app.js. It is a third of app.js (344 KB of 0.95 MB minified), which a
 * cold browser fetched, compiled and ran before it drew a lab.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

/** What this script hands the page (globalThis.netlabXterm). */
export interface XtermModule {
  Terminal: typeof Terminal;
  FitAddon: typeof FitAddon;
}

(globalThis as unknown as { netlabXterm?: XtermModule }).netlabXterm = { Terminal, FitAddon };
