import { ClsService, ClsStore } from 'nestjs-cls';
import type { Actor } from '../auth/actor';

/** What the current request carries for auditing: set by the CLS middleware and the auth guard. */
export interface RequestStore extends ClsStore {
  requestId?: string;
  sourceIp?: string;
  actor?: Actor;
}

export type RequestCls = ClsService<RequestStore>;
