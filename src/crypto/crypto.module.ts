import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { loadRecordKeys } from './keyring';
import { RECORD_CIPHER, RecordCipher, RECORD_TABLE } from './record-fields';
import { RowCipher } from './record-cipher';

/** The keyring (KEKs), the blind-index key and the release records' row cipher, loaded once at start. */
@Global()
@Module({
  providers: [
    {
      provide: RECORD_CIPHER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): RecordCipher => {
        const { keyring, blindIndexKey } = loadRecordKeys(config);
        return new RowCipher(keyring, blindIndexKey, RECORD_TABLE);
      },
    },
  ],
  exports: [RECORD_CIPHER],
})
export class CryptoModule {}
