import policyJson from './policy.json';
import { checkAuditPolicy } from './audit-policy';

describe('policy audit section', () => {
  const valid = () => JSON.parse(JSON.stringify(policyJson.audit)) as Record<string, unknown>;

  it('accepts the shipped policy', () => {
    expect(checkAuditPolicy(policyJson.audit)).toEqual([]);
  });

  it('names each bad setting', () => {
    expect(checkAuditPolicy(undefined)).toEqual(['policy.audit is missing']);
    const p = valid();
    p.workingHours = { start: '20:00', end: '08:00' };
    p.burst = { events: 0, minutes: 10 };
    p.approvals = { ratioToPeerMedian: 1, minApprovals: 10, minPeers: 2 };
    p.anomalyPeriodDays = 40;
    delete p.refusals;
    p.surprise = true;
    expect(checkAuditPolicy(p)).toEqual([
      'policy.audit.anomalyPeriodDays must not exceed maxAnomalyPeriodDays',
      'policy.audit.workingHours.start must be before end',
      'policy.audit.burst.events must be a whole number from 1 to 1000000',
      'policy.audit.refusals is missing',
      'policy.audit.refusals.count must be a whole number from 1 to 1000000',
      'policy.audit.refusals.hours must be a whole number from 1 to 744',
      'policy.audit.approvals.ratioToPeerMedian must be a number above 1 and at most 1000',
      'policy.audit has the unknown setting "surprise"',
    ]);
    expect(checkAuditPolicy({ ...valid(), workingHours: { start: '8:00', end: '24:00' } })).toEqual([
      'policy.audit.workingHours.start must be a time "HH:MM"',
      'policy.audit.workingHours.end must be a time "HH:MM"',
    ]);
  });
});
