import { Injectable, Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Clock } from '../common/clock';
import { RequestsService } from '../requests/requests.service';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { SafeguardsService } from '../safeguards/safeguards.service';
import { ErasureService } from '../erasure/erasure.service';
import { SignInThrottle } from '../auth/sign-in-throttle';

/** Lapses what has run out: open requests past their wait, approvals past their window, safeguards past validity. */
@Injectable()
export class ExpiryService {
  private readonly logger = new Logger(ExpiryService.name);

  constructor(
    private readonly requests: RequestsService,
    private readonly safeguards: SafeguardsService,
    private readonly records: ReleaseRecordsService,
    private readonly cls: ClsService,
    private readonly clock: Clock,
    private readonly erasure: ErasureService,
    private readonly throttle: SignInThrottle,
  ) {}

  async sweep(): Promise<{ requests: number; safeguards: number }> {
    return this.cls.run(async () => {
      const safeguards = await this.safeguards.expireDue();
      const requests = await this.requests.expireDue();
      await this.throttle.prune();
      if (requests || safeguards) this.logger.log({ requests, safeguards }, 'expired what ran out');
      return { requests, safeguards };
    });
  }

  /** Crypto-shreds release records past retention (policy.limits.recordRetentionDays); answers how many. */
  async erase(): Promise<number> {
    return this.cls.run(async () => {
      const erased = await this.records.eraseExpired();
      const requests = await this.requests.lapseForErasedRecords(erased);
      if (erased.length) this.logger.log({ records: erased.length, requests }, 'erased release records past retention');
      return erased.length;
    });
  }

  /** Deadline and expiry notices, each sent once: due soon, overdue, access ending, safeguards expiring, erasure due and overdue. */
  async notify(): Promise<{ dueSoon: number; overdue: number; accessEnding: number; safeguardsExpiring: number; erasureDue: number; erasureOverdue: number }> {
    return this.cls.run(async () => {
      const deadlines = await this.requests.notifyDeadlines();
      const safeguardsExpiring = await this.safeguards.notifyExpiring(this.clock.now());
      const erasure = await this.erasure.notify();
      const sent = { ...deadlines, safeguardsExpiring, ...erasure };
      if (Object.values(sent).some((n) => n > 0)) this.logger.log(sent, 'sent deadline notices');
      return sent;
    });
  }
}
