import { Controller, Get, Header, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { SchemaObject } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { isProblemSlug, PROBLEM_TYPES, ProblemTypeEntry } from './catalogue';

const LANGS: SchemaObject = { type: 'object', required: ['ja', 'en'], properties: { ja: { type: 'string' }, en: { type: 'string' } } };
const ENTRY_PROPERTIES: Record<string, SchemaObject> = { status: { type: 'integer' }, title: LANGS, explanation: LANGS };
const ENTRY: SchemaObject = { type: 'object', required: ['status', 'title', 'explanation'], properties: ENTRY_PROPERTIES };

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head><body><main>${body}</main></body></html>`;
}

function entryHtml(slug: string, p: ProblemTypeEntry): string {
  return (
    `<article id="${escape(slug)}"><h2><code>${escape(slug)}</code> (${p.status})</h2>` +
    `<section lang="ja"><h3>${escape(p.title.ja)}</h3><p>${escape(p.explanation.ja)}</p></section>` +
    `<section lang="en"><h3>${escape(p.title.en)}</h3><p>${escape(p.explanation.en)}</p></section></article>`
  );
}

/** Explains each problem type the API answers, so that a problem's `type` resolves to its meaning. */
@ApiTags('problems')
@Controller('problems')
export class ProblemsController {
  @Get()
  @Public()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ summary: 'Every problem type the API answers, in Japanese and English' })
  @ApiOkResponse({
    description: 'HTML, or JSON `{ <slug>: { status, title: { ja, en }, explanation: { ja, en } } }` when asked for with Accept.',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object', additionalProperties: ENTRY } } },
  })
  index(@Req() req: Request, @Res() res: Response): void {
    if (req.accepts(['html', 'json']) === 'json') {
      res.json(PROBLEM_TYPES);
      return;
    }
    const all = Object.entries(PROBLEM_TYPES).map(([slug, p]) => entryHtml(slug, p)).join('');
    res.type('html').send(page('問題の種類 / Problem types', `<h1 lang="ja">問題の種類</h1><p lang="en">Problem types</p>${all}`));
  }

  @Get(':slug')
  @Public()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ summary: 'One problem type: what it means and what to do, in Japanese and English' })
  @ApiOkResponse({
    description: 'HTML, or JSON `{ slug, status, title: { ja, en }, explanation: { ja, en } }` when asked for with Accept.',
    content: {
      'text/html': { schema: { type: 'string' } },
      'application/json': { schema: { type: 'object', required: ['slug', 'status', 'title', 'explanation'], properties: { slug: { type: 'string' }, ...ENTRY_PROPERTIES } } },
    },
  })
  @ApiNotFoundResponse({ description: 'No such problem type.' })
  one(@Param('slug') slug: string, @Req() req: Request, @Res() res: Response): void {
    if (!isProblemSlug(slug)) throw new NotFoundException();
    const p = PROBLEM_TYPES[slug];
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ slug, ...p });
      return;
    }
    res.type('html').send(page(`${p.title.ja} / ${p.title.en}`, entryHtml(slug, p)));
  }
}
