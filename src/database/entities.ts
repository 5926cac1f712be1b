import { Decision } from '../approvals/decision.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { Disclosure } from '../disclosures/disclosure.entity';
import { ApiClient } from '../organizations/api-client.entity';
import { Organization } from '../organizations/organization.entity';
import { ReleaseRecord } from '../release-records/release-record.entity';
import { InfoRequest } from '../requests/request.entity';
import { Safeguard } from '../safeguards/safeguard.entity';
import { User } from '../users/user.entity';

export const ENTITIES = [Organization, ApiClient, User, AuditEvent, Safeguard, ReleaseRecord, InfoRequest, Decision, Disclosure];
