import { loadConfig } from '../../config/configuration';
import { Clock } from '../common/clock';
import { BadRequestError } from '../common/domain-error';
import { monthsBetween, StatisticsService } from './statistics.service';

describe('statistics period', () => {
  const clock = new Clock();
  // period() reads only the clock: no database needed.
  const service = new StatisticsService(null as never, clock, loadConfig({}));

  it('defaults to the twelve months up to today in Japan', () => {
    clock.set(new Date('2026-11-30T15:30:00Z')); // 1 December 00:30 in Japan
    expect(service.period()).toEqual({ from: '2026-01-01', to: '2026-12-01' });
    clock.set(new Date('2026-11-30T14:30:00Z')); // still 30 November in Japan
    expect(service.period()).toEqual({ from: '2025-12-01', to: '2026-11-30' });
    expect(service.period(undefined, '2026-03-15')).toEqual({ from: '2025-04-01', to: '2026-03-15' });
    expect(service.period('2026-01-10')).toEqual({ from: '2026-01-10', to: '2026-11-30' });
  });

  it('refuses an empty or too long period as a bad query', () => {
    expect(() => service.period('2026-05-02', '2026-05-01')).toThrow(BadRequestError);
    expect(() => service.period('2015-01-01', '2026-01-01')).toThrow(BadRequestError);
    expect(service.period('2026-05-01', '2026-05-01')).toEqual({ from: '2026-05-01', to: '2026-05-01' });
    expect(service.period('2016-06-01', '2026-06-01')).toEqual({ from: '2016-06-01', to: '2026-06-01' }); // 3652 days
  });

  it('lists every month of a period, across a year end', () => {
    expect(monthsBetween('2025-11-20', '2026-02-01')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-04-01', '2026-04-30')).toEqual(['2026-04']);
  });
});
