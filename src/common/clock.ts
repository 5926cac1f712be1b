import { Global, Injectable, Module } from '@nestjs/common';

/**
 * The time deadlines and notices are computed from. One instance per application; tests move it
 * (`set`, `advance`) to cross weekends, holidays and the new year without waiting.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Makes `now()` answer this instant from here on (tests). */
  set(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
