import { Injectable, OnModuleInit } from '@nestjs/common';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { DICTIONARIES, ENUM_LABELS, formatDate, formatDateTime, formatTimeLeft, formatWaiting, Lang, MessageKey } from './i18n';

/** Views and assets live beside the source; compiled code finds them from dist/ too. */
export function consoleDir(sub: 'views' | 'assets'): string {
  const candidates = [join(__dirname, sub), join(__dirname, '..', '..', '..', 'src', 'console', sub)];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`console ${sub} folder not found`);
  return found;
}

/**
 * `/favicon.ico`, which browsers ask for on every site: the console's small icon, cacheable for a
 * week, rather than a 404 in every log. GET and HEAD only; anything below it falls through.
 */
export function faviconHandler(): (req: Request, res: Response, next: NextFunction) => void {
  const icon = readFileSync(join(consoleDir('assets'), 'favicon.ico'));
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.path !== '/' && req.path !== '')) return next();
    res.setHeader('Content-Type', 'image/x-icon');
    res.setHeader('Content-Length', String(icon.length));
    res.setHeader('Cache-Control', 'public, max-age=604800');
    res.status(200).end(req.method === 'HEAD' ? undefined : icon);
  };
}

export interface PageContext {
  lang: Lang;
  title: MessageKey;
  user?: { displayName: string; roles: string[]; organizationName: string };
  nav?: { queue: boolean; safeguards: boolean; audit: boolean; statistics: boolean; admin: boolean; webhooks: boolean; active: string };
  /** The page's own query (URL-encoded, without `lang`), kept by the language link. */
  keepQuery?: string;
  /** Extra stylesheets of the page, from the console's assets. */
  stylesheets?: string[];
  csrf?: string;
  flash?: string;
  error?: string;
  requestId?: string;
  path: string;
  /** The application's clock (ms), for times left. */
  now?: number;
  [key: string]: unknown;
}

/** Server-rendered pages with Handlebars; `{{ }}` escapes everything, so no value can inject markup. */
@Injectable()
export class RenderService implements OnModuleInit {
  private readonly hb = Handlebars.create();
  private readonly templates = new Map<string, HandlebarsTemplateDelegate>();

  onModuleInit(): void {
    const dir = consoleDir('views');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
      const name = file.slice(0, -4);
      const source = readFileSync(join(dir, file), 'utf8');
      if (name.startsWith('_')) this.hb.registerPartial(name.slice(1), source);
      else this.templates.set(name, this.hb.compile(source, { strict: false, noEscape: false }));
    }
    const hb = this.hb;
    hb.registerHelper('t', function (this: unknown, key: string, options: { data: { root: PageContext } }) {
      const lang = options.data.root.lang;
      return DICTIONARIES[lang][key as MessageKey] ?? key;
    });
    hb.registerHelper('label', (value: string, options: { data: { root: PageContext } }) => ENUM_LABELS[options.data.root.lang][value] ?? value);
    hb.registerHelper('datetime', (value: string | Date, options: { data: { root: PageContext } }) => formatDateTime(value, options.data.root.lang));
    hb.registerHelper('date', (value: string, options: { data: { root: PageContext } }) => formatDate(value, options.data.root.lang));
    hb.registerHelper('timeLeft', (value: string, options: { data: { root: PageContext } }) => formatTimeLeft(value, options.data.root.lang, options.data.root.now));
    hb.registerHelper('waiting', (value: string, options: { data: { root: PageContext } }) => formatWaiting(value, options.data.root.lang));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('includes', (list: unknown, v: unknown) => Array.isArray(list) && list.includes(v));
    hb.registerHelper('json', (v: unknown) => JSON.stringify(v));
    hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
    hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
    hb.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
    hb.registerHelper('not', (v: unknown) => !v);
    hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  }

  render(view: string, ctx: PageContext): string {
    const page = this.templates.get(view);
    const layout = this.templates.get('layout');
    if (!page || !layout) throw new Error(`no view ${view}`);
    const body = page(ctx, { allowProtoPropertiesByDefault: false });
    return layout({ ...ctx, body, titleText: DICTIONARIES[ctx.lang][ctx.title], otherLang: ctx.lang === 'ja' ? 'en' : 'ja' });
  }
}
