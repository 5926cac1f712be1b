import { Global, Module } from '@nestjs/common';
import { DomainEventsService } from './domain-events.service';

/** The outbox of domain events; global, since every module that changes state emits through it. */
@Global()
@Module({ providers: [DomainEventsService], exports: [DomainEventsService] })
export class EventsModule {}
