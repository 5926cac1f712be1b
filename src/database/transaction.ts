export { TransactionHost, Transactional } from '@nestjs-cls/transactional';
export { TransactionalAdapterTypeOrm as TypeOrmAdapter } from '@nestjs-cls/transactional-adapter-typeorm';
