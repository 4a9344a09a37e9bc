import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Conversation } from './conversation.entity.js';

@Entity({ name: 'messages' })
@Index('IDX_messages_conversation_sent', ['conversationId', 'sentAt'])
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'FK_messages_conversation' })
  conversation?: Relation<Conversation>;

  /** Telegram's own message id. */
  @Column({ name: 'message_id', type: 'bigint' })
  messageId!: string;

  @Column({ name: 'message_type', type: 'varchar', length: 50 })
  messageType!: string;

  /** `in` from the user, `out` from the bot. */
  @Column({ type: 'varchar', length: 3, default: 'in' })
  direction!: 'in' | 'out';

  /** The update an inbound message came in. */
  @Column({ name: 'update_id', type: 'bigint', nullable: true })
  updateId!: string | null;

  @Column({ type: 'jsonb' })
  content!: Record<string, unknown>;

  @Column({ name: 'sent_at', type: 'timestamptz', default: () => 'now()' })
  sentAt!: Date;
}
