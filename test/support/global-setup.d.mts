/** Types of global-setup.mjs (jest's e2e global setup, also used by test/openapi/). */
export default function globalSetup(): Promise<void>;
