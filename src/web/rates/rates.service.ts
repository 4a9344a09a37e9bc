import { Injectable } from '@nestjs/common';
import { Conflict, InvalidInput, NotFound } from '../../common/domain-error.js';
import { ConfigService } from '@nestjs/config';
import type { DataSource, EntityManager } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import type { AppConfig } from '../../config/app-config.js';
import { InjectStore, type NamespacedStore } from '../../redis/index.js';
import { WebCacheKeys } from '../cache-keys.js';
import { canonical } from '../money.js';
import { roundTripProblem } from './round-trip.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

/** A cached rate lives 5 minutes at most, less when the pair changes sooner. */
const RATE_CACHE_MS = 5 * 60_000;
const CURRENCY_CODE = /^[A-Z0-9]{3,10}$/;
/** First key of the advisory lock that serialises rate changes per pair of currencies. */
const RATE_PAIR_LOCK = 0x52415445; // 'RATE'

export interface CurrentRate {
  from: string;
  to: string;
  /** Decimal string, 8 places. */
  rate: string;
  validFrom: string;
  validUntil: string | null;
}

export interface SetRateOptions {
  /** The rate ends then (default: it stays until a later one starts). */
  readonly validUntil?: Date;
  /** Work in the rate's transaction, given the rate set and the one in force before it. */
  readonly alongWith?: (
    manager: EntityManager,
    rate: CurrentRate,
    previous: CurrentRate | undefined,
  ) => Promise<void>;
}

interface RateRow {
  from_currency: string;
  to_currency: string;
  rate: string;
  valid_from: Date;
  valid_until: Date | null;
}

/** A row is current from valid_from until valid_until (or for ever); the latest started wins. */
const CURRENT = `valid_from <= now() AND (valid_until IS NULL OR valid_until > now())`;

function toRate(row: RateRow): CurrentRate {
  return {
    from: row.from_currency,
    to: row.to_currency,
    rate: row.rate,
    validFrom: row.valid_from.toISOString(),
    validUntil: row.valid_until?.toISOString() ?? null,
  };
}

/**
 * Exchange rates. Quotes are read through `cache:web:rates:{FROM}_{TO}`; a new rate
 * invalidates its pair at once (race-free: a refill cannot replace the invalidation), and
 * a cached rate never outlives the moment its pair next changes. Orders do not use the
 * cache: they lock the rate read from the database in their own transaction.
 */
@Injectable()
export class RatesService {
  private readonly supported: ReadonlySet<string>;

  constructor(
    @InjectWebDataSource() private readonly dataSource: DataSource,
    @InjectStore(CONTEXTS[AppContext.Web].cacheNamespace) private readonly cache: NamespacedStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.supported = new Set(config.get('exchange', { infer: true }).currencies);
  }

  /** 400 naming the field unless both codes are well-formed, supported and different. */
  checkPair(from: string, to: string, fields: [string, string] = ['from', 'to']): void {
    for (const [code, field] of [
      [from, fields[0]],
      [to, fields[1]],
    ] as const) {
      if (!CURRENCY_CODE.test(code)) {
        throw new InvalidInput(
          `${field} must be a currency code of 3 to 10 upper-case letters or digits`,
        );
      }
      if (!this.supported.has(code)) {
        throw new InvalidInput(`${field} ${code} is not a supported currency`);
      }
    }
    if (from === to) throw new InvalidInput(`${fields[1]} must differ from ${fields[0]}`);
  }

  async current(from: string, to: string): Promise<CurrentRate> {
    this.checkPair(from, to);
    const found = await this.cache.readThrough(
      WebCacheKeys.rate(from, to),
      (value: { rate: CurrentRate | null; changesAt: number | null }) =>
        this.ttlUntil(value.changesAt),
      () => this.load(from, to),
    );
    if (found.rate === null) throw new NotFound(`No rate for ${from}/${to}`);
    return found.rate;
  }

  /**
   * Every current pair of the supported currencies. The cache holds every current pair, so
   * processes configured with other currencies (a rolling change) share it safely.
   */
  async currentAll(): Promise<CurrentRate[]> {
    const found = await this.cache.readThrough(
      WebCacheKeys.allRates(),
      (value: { rates: CurrentRate[]; changesAt: number | null }) => this.ttlUntil(value.changesAt),
      () => this.loadAll(),
    );
    return found.rates.filter(
      (rate) => this.supported.has(rate.from) && this.supported.has(rate.to),
    );
  }

  /** The authoritative current rate, inside the caller's transaction (orders). */
  async currentInTransaction(
    manager: EntityManager,
    from: string,
    to: string,
  ): Promise<CurrentRate | undefined> {
    const rows: RateRow[] = await manager.query(
      `SELECT from_currency, to_currency, rate, valid_from, valid_until FROM exchange_rates
       WHERE from_currency = $1 AND to_currency = $2 AND ${CURRENT}
       ORDER BY valid_from DESC LIMIT 1`,
      [from, to],
    );
    return rows[0] === undefined ? undefined : toRate(rows[0]);
  }

  /**
   * Sets a rate for a pair, effective now (or from `validFrom`, until `validUntil` if given);
   * the next quote sees it. 409 when its round trip with the opposite pair's rate in force at
   * `validFrom`, or scheduled after it, returns 1 or more (see round-trip.ts). `alongWith`
   * runs in the rate's transaction, after it is written (e.g. an audit message in the web
   * outbox): both commit, or neither.
   */
  async setRate(
    from: string,
    to: string,
    rate: string,
    validFrom: Date = new Date(),
    options: SetRateOptions = {},
  ): Promise<CurrentRate> {
    this.checkPair(from, to);
    const validUntil = options.validUntil ?? null;
    if (validUntil !== null && validUntil <= validFrom) {
      throw new InvalidInput('validUntil must be later than validFrom');
    }
    const rows = await this.dataSource.transaction(async (manager) => {
      // One change per pair of currencies at a time, either way round: two opposite rates
      // set at once are each checked against the other, not against what was there before.
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        RATE_PAIR_LOCK,
        [from, to].sort().join('/'),
      ]);
      for (const opposite of await this.oppositeRates(manager, from, to, validFrom)) {
        const problem = roundTripProblem(from, to, rate, opposite);
        if (problem !== undefined) throw new Conflict(problem);
      }
      const previous = await this.inForceAt(manager, from, to, validFrom);
      const inserted: RateRow[] = await manager.query(
        `INSERT INTO exchange_rates (from_currency, to_currency, rate, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5)
         RETURNING from_currency, to_currency, rate, valid_from, valid_until`,
        [from, to, canonical(rate), validFrom, validUntil],
      );
      await options.alongWith?.(manager, toRate(inserted[0] as RateRow), previous);
      return inserted;
    });
    await this.cache.invalidate(WebCacheKeys.rate(from, to), WebCacheKeys.allRates());
    return toRate(rows[0] as RateRow);
  }

  /**
   * The pair's rates, newest start first, a page at a time (`before`: the `validFrom` of the
   * last rate of the previous page; starts are unique per pair).
   */
  async history(
    from: string,
    to: string,
    page: { limit: number; before?: Date },
  ): Promise<CurrentRate[]> {
    this.checkPair(from, to);
    const rows: RateRow[] = await this.dataSource.query(
      `SELECT from_currency, to_currency, rate, valid_from, valid_until FROM exchange_rates
       WHERE from_currency = $1 AND to_currency = $2 AND ($3::timestamptz IS NULL OR valid_from < $3)
       ORDER BY valid_from DESC LIMIT $4`,
      [from, to, page.before ?? null, page.limit],
    );
    return rows.map(toRate);
  }

  /** The pair's rate in force at `at`, read in the caller's transaction. */
  private async inForceAt(
    manager: EntityManager,
    from: string,
    to: string,
    at: Date,
  ): Promise<CurrentRate | undefined> {
    const rows: RateRow[] = await manager.query(
      `SELECT from_currency, to_currency, rate, valid_from, valid_until FROM exchange_rates
       WHERE from_currency = $1 AND to_currency = $2
         AND valid_from <= $3 AND (valid_until IS NULL OR valid_until > $3)
       ORDER BY valid_from DESC LIMIT 1`,
      [from, to, at],
    );
    return rows[0] === undefined ? undefined : toRate(rows[0]);
  }

  /** Rates of to→from that can be in force together with a from→to rate starting at `at`. */
  private async oppositeRates(
    manager: EntityManager,
    from: string,
    to: string,
    at: Date,
  ): Promise<string[]> {
    const rows: Array<{ rate: string }> = await manager.query(
      `(SELECT rate FROM exchange_rates
        WHERE from_currency = $1 AND to_currency = $2
          AND valid_from <= $3 AND (valid_until IS NULL OR valid_until > $3)
        ORDER BY valid_from DESC LIMIT 1)
       UNION ALL
       SELECT rate FROM exchange_rates WHERE from_currency = $1 AND to_currency = $2 AND valid_from > $3`,
      [to, from, at],
    );
    return rows.map((row) => row.rate);
  }

  private ttlUntil(changesAt: number | null): number {
    return Math.min(RATE_CACHE_MS, changesAt === null ? RATE_CACHE_MS : changesAt - Date.now());
  }

  private async load(from: string, to: string) {
    const rows: Array<RateRow & { changes_at: Date | null }> = await this.dataSource.query(
      `SELECT from_currency, to_currency, rate, valid_from, valid_until,
         LEAST(valid_until, (SELECT min(n.valid_from) FROM exchange_rates n
           WHERE n.from_currency = $1 AND n.to_currency = $2 AND n.valid_from > now())) AS changes_at
       FROM exchange_rates WHERE from_currency = $1 AND to_currency = $2 AND ${CURRENT}
       ORDER BY valid_from DESC LIMIT 1`,
      [from, to],
    );
    const row = rows[0];
    return {
      rate: row === undefined ? null : toRate(row),
      changesAt: row?.changes_at?.getTime() ?? null,
    };
  }

  private async loadAll() {
    const rows: RateRow[] = await this.dataSource.query(
      `SELECT DISTINCT ON (from_currency, to_currency) from_currency, to_currency, rate, valid_from, valid_until
       FROM exchange_rates
       WHERE ${CURRENT}
       ORDER BY from_currency, to_currency, valid_from DESC`,
    );
    const next: Array<{ changes_at: Date | null }> = await this.dataSource.query(
      `SELECT LEAST(
         (SELECT min(valid_from) FROM exchange_rates WHERE valid_from > now()),
         (SELECT min(valid_until) FROM exchange_rates WHERE valid_until > now())) AS changes_at`,
    );
    return { rates: rows.map(toRate), changesAt: next[0]?.changes_at?.getTime() ?? null };
  }
}
