import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/**
 * A page of a list: `{ items, nextCursor }`. Extend it to name the schema:
 * `class UserPageDto extends PageOf(UserDto) {}`. `single` lists answer everything at once, so their
 * `nextCursor` is always null.
 */
export function PageOf<T>(item: Type<T>, opts: { single?: boolean } = {}) {
  class Page {
    @ApiProperty({ type: item, isArray: true })
    items: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: opts.single
        ? 'Always null: the whole list is in this answer.'
        : 'Opaque cursor for the next page (`?cursor=`); null on the last page.',
    })
    nextCursor: string | null;
  }
  return Page;
}
