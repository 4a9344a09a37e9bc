import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Database } from '../common/app-context.js';
import { Conversation } from './entities/index.js';

@Injectable()
export class ConversationsService {
  constructor(
    @InjectRepository(Conversation, Database.Bot)
    private readonly conversations: Repository<Conversation>,
  ) {}

  /** Records that a Telegram user is now this identity user (a new link replaces an old one). */
  async link(telegramUserId: string, userId: string): Promise<void> {
    await this.conversations.upsert({ telegramUserId, userId }, ['telegramUserId']);
  }
}
