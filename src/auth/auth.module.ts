import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { OrganizationsModule } from '../organizations/organizations.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { KeysService } from './keys.service';
import { PrincipalCacheModule } from './principal-cache';
import { TokensService } from './tokens.service';
import { SignInThrottle } from './sign-in-throttle';

@Global()
@Module({
  imports: [PassportModule, PrincipalCacheModule, UsersModule, OrganizationsModule],
  controllers: [AuthController],
  providers: [KeysService, TokensService, SignInThrottle, AuthService, JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [KeysService, TokensService, AuthService, SignInThrottle],
})
export class AuthModule {}
