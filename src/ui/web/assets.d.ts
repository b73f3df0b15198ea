// CSS files are bundled by esbuild (scripts/build-ui.mjs), imported for their side effect.
declare module '*.css';
