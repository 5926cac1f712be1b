import type { Request } from 'express';

/** Writes an audit event for a refused request (401/403) that no service audited itself. */
export interface DenialRecorder {
  recordDenial(req: Request, status: number, reason: string): Promise<void>;
}
export const DENIAL_RECORDER = Symbol('DENIAL_RECORDER');
