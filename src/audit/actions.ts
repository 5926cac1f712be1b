/**
 * Every audit action code the service records, with Japanese and English labels, grouped by the
 * operation it belongs to: one group holds an operation's success codes and the code its refused
 * attempts are recorded under (a decision is `request.approve`, `request.approve.first` or
 * `request.reject`, a refused one `request.decide`). An auditor searches by group or by code; the
 * console shows labels, the code beside them. `actions.spec.ts` reads the source and fails when a
 * recorded code has no entry here (or an entry names a code nothing records).
 */
export interface Label {
  ja: string;
  en: string;
}

export interface ActionGroup {
  label: Label;
  /** Each code of the group and its own label. */
  actions: Record<string, Label>;
}

const l = (ja: string, en: string): Label => ({ ja, en });

export const ACTION_GROUPS = {
  sign_in: { label: l('サインイン', 'Sign-in'), actions: { 'auth.login': l('職員のサインイン', 'Staff sign-in') } },
  token: { label: l('トークンの発行', 'Token issue'), actions: { 'auth.token': l('APIクライアントのトークン発行', 'API client token') } },
  mfa: { label: l('二段階認証', 'Two-step verification'), actions: { 'auth.mfa.enroll': l('二段階認証の登録開始', 'TOTP enrolment started'), 'auth.mfa.verify': l('二段階認証の確認', 'TOTP verification') } },
  sign_out: { label: l('サインアウト', 'Sign-out'), actions: { 'auth.logout': l('サインアウト', 'Sign-out') } },
  staff_accounts: {
    label: l('職員アカウントの管理', 'Staff accounts'),
    actions: { 'user.bootstrap': l('初期管理者の作成', 'First administrator created'), 'user.create': l('職員の作成', 'Staff user created'), 'user.update': l('職員の変更', 'Staff user changed') },
  },
  organizations: { label: l('団体の管理', 'Organisations'), actions: { 'organization.create': l('団体の作成', 'Organisation created') } },
  api_clients: { label: l('APIクライアントの管理', 'API clients'), actions: { 'client.create': l('APIクライアントの作成', 'API client created'), 'client.revoke': l('APIクライアントの失効', 'API client revoked') } },
  safeguards_registration: { label: l('安全管理措置の登録', 'Safeguards registration'), actions: { 'safeguards.register': l('安全管理措置の登録', 'Safeguards registered') } },
  safeguards_review: {
    label: l('安全管理措置の審査', 'Safeguards review'),
    actions: {
      'safeguards.verify': l('確認して有効化', 'Verified'),
      'safeguards.reject': l('差戻し', 'Rejected'),
      'safeguards.suspend': l('停止', 'Suspended'),
      'safeguards.supersede': l('新しい版への置換え', 'Superseded by a new version'),
      'safeguards.expire': l('有効期限切れ', 'Expired'),
    },
  },
  record_write: {
    label: l('記録の登録・更新', 'Record loading'),
    actions: { 'record.create': l('記録の登録', 'Record created'), 'record.update': l('記録の更新', 'Record updated'), 'record.import': l('記録の一括登録', 'Records imported') },
  },
  record_read: {
    label: l('記録の閲覧', 'Record reads'),
    actions: { 'record.read': l('記録の閲覧', 'Record read'), 'record.list': l('記録の一覧', 'Records listed'), 'record.disclosures.read': l('提供履歴の閲覧', 'Disclosure history read') },
  },
  record_erase: { label: l('記録の消去', 'Record erasure'), actions: { 'record.erase': l('保存期間経過による消去', 'Erased after retention') } },
  request_create: { label: l('依頼の作成', 'Request creation'), actions: { 'request.create': l('依頼の作成', 'Request created') } },
  request_read: { label: l('依頼の閲覧', 'Request reads'), actions: { 'request.read': l('依頼の閲覧', 'Request read') } },
  request_withdraw: { label: l('依頼の取下げ', 'Withdrawal'), actions: { 'request.withdraw': l('依頼の取下げ', 'Request withdrawn') } },
  decision: {
    label: l('決裁', 'Decision'),
    actions: {
      'request.approve': l('承認', 'Approved'),
      'request.approve.first': l('一次承認（二次承認待ち）', 'First approval (second pending)'),
      'request.reject': l('却下', 'Rejected'),
      'request.decide': l('決裁の試み（拒否）', 'Decision attempt (refused)'),
    },
  },
  assignment: {
    label: l('担当の設定', 'Taking a request'),
    actions: { 'request.assign': l('担当する', 'Request taken'), 'request.unassign': l('担当を外す', 'Request released') },
  },
  revocation: { label: l('承認の取消し', 'Revocation'), actions: { 'request.revoke': l('承認の取消し', 'Approval revoked') } },
  request_expire: { label: l('依頼の期限切れ', 'Request expiry'), actions: { 'request.expire': l('期限切れ', 'Request expired') } },
  disclosure: { label: l('情報の提供', 'Disclosure'), actions: { 'disclosure.retrieve': l('情報の取得', 'Data retrieved') } },
  erasure: { label: l('消去の確認', 'Erasure attestation'), actions: { 'erasure.attest': l('消去の確認', 'Erasure attested') } },
  webhooks: {
    label: l('Webhook', 'Webhooks'),
    actions: {
      'webhook.create': l('Webhook の登録', 'Webhook registered'),
      'webhook.list': l('Webhook の一覧', 'Webhooks listed'),
      'webhook.read': l('Webhook の閲覧', 'Webhook read'),
      'webhook.delete': l('Webhook の削除', 'Webhook deleted'),
      'webhook.rotate_secret': l('署名鍵の更新', 'Secret rotated'),
      'webhook.ping': l('疎通確認', 'Ping'),
      'webhook.deliveries': l('配信履歴の閲覧', 'Deliveries read'),
      'webhook.redeliver': l('再配信', 'Redelivery'),
      'webhook.enable': l('配信の再開', 'Webhook re-enabled'),
      'webhook.disable': l('配信の停止', 'Webhook disabled'),
    },
  },
  audit_read: {
    label: l('監査ログの閲覧', 'Audit log reads'),
    actions: {
      'audit.search': l('監査ログの検索', 'Audit search'),
      'audit.export': l('監査ログの出力', 'Audit export'),
      'audit.reviews.read': l('監査確認記録の閲覧', 'Audit reviews read'),
      'audit.report': l('本人別の報告の作成', 'Per-person report'),
      'audit.anomalies': l('注意を要する操作の表示', 'Anomaly views'),
    },
  },
  audit_verify: {
    label: l('監査ログの検証', 'Audit log verification'),
    actions: {
      'audit.verify': l('完全性の検証', 'Integrity verified'),
      'audit.checkpoint.read': l('チェックポイントの取得', 'Checkpoint read'),
      'audit.checkpoints.read': l('チェックポイント一覧', 'Checkpoints listed'),
      'audit.proof': l('包含証明', 'Inclusion proof'),
      'audit.consistency': l('一貫性証明', 'Consistency proof'),
    },
  },
  statistics: { label: l('統計の閲覧', 'Statistics'), actions: { 'statistics.read': l('統計の閲覧', 'Statistics read') } },
  audit_review: { label: l('監査の確認記録', 'Audit review sign-off'), actions: { 'audit.review': l('監査の確認記録', 'Review signed off') } },
  access_denied: { label: l('アクセス拒否', 'Access refused'), actions: { 'access.denied': l('アクセス拒否（権限・認証）', 'Access refused (permission, sign-in)') } },
  key_rotation: { label: l('鍵の更新', 'Key rotation'), actions: { 'keys.rotate': l('暗号鍵の再ラップ', 'Record keys re-wrapped') } },
} satisfies Record<string, ActionGroup>;

export type ActionGroupKey = keyof typeof ACTION_GROUPS;
export const ACTION_GROUP_KEYS = Object.keys(ACTION_GROUPS) as ActionGroupKey[];

const BY_CODE = new Map<string, { group: ActionGroupKey; label: Label }>(
  ACTION_GROUP_KEYS.flatMap((g) => Object.entries(ACTION_GROUPS[g].actions as Record<string, Label>).map(([code, label]) => [code, { group: g, label }] as const)),
);

export function isActionGroup(key: string): key is ActionGroupKey {
  return Object.prototype.hasOwnProperty.call(ACTION_GROUPS, key);
}

/** The codes of one group (an empty list for an unknown key). */
export function actionsOf(group: string): string[] {
  return isActionGroup(group) ? Object.keys(ACTION_GROUPS[group].actions) : [];
}

/** Every known code. */
export function actionCodes(): string[] {
  return [...BY_CODE.keys()];
}

/** A code's label and group, or undefined for a code the catalogue does not know. */
export function actionInfo(code: string): { group: ActionGroupKey; label: Label } | undefined {
  return BY_CODE.get(code);
}
