import { AuditEvent } from '../audit/audit-event.entity';
import { ApiClient } from '../organizations/api-client.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

export const ENTITIES = [Organization, ApiClient, User, AuditEvent];
