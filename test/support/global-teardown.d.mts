/** Types of global-teardown.mjs (jest's e2e global teardown, also used by test/openapi/). */
export default function globalTeardown(): Promise<void>;
