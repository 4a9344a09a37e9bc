import { Inject } from '@nestjs/common';
import type { TelegramConfig } from '../config/app-config.js';

export type { TelegramConfig };

/** The bot's configuration, or undefined when TELEGRAM_BOT_TOKEN is unset (the bot is off). */
export const BOT_CONFIG = Symbol('BOT_CONFIG');

export const InjectBotConfig = (): ParameterDecorator => Inject(BOT_CONFIG);

/** The header Telegram sends the webhook secret in (setWebhook's secret_token). */
export const WEBHOOK_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/** The webhook secret (or undefined), for the webhook route's guard. */
export const WEBHOOK_SECRET = Symbol('WEBHOOK_SECRET');
