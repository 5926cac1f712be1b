/**
 * Every problem type the API answers, with what it means and what to do, in Japanese and English.
 * A problem's `type` is `<PROBLEM_BASE_URL><slug>`; `GET /problems/<slug>` explains it.
 */
export interface ProblemTypeEntry {
  status: number;
  title: { ja: string; en: string };
  /** What happened and what the caller can do. */
  explanation: { ja: string; en: string };
}

const e = (status: number, jaTitle: string, enTitle: string, ja: string, en: string): ProblemTypeEntry => ({
  status,
  title: { ja: jaTitle, en: enTitle },
  explanation: { ja, en },
});

export const PROBLEM_TYPES = {
  // --- generic answers by status -------------------------------------------------------------
  'bad-request': e(400, '不正なリクエスト', 'Bad request', 'リクエストを解釈できません。内容を確認してください。', 'The request could not be understood. Check it and send it again.'),
  validation: e(400, '入力が不正です', 'Invalid input', 'リクエストの形式が正しくないか、未知の項目があります。`errors` に項目名と理由が示されます（値は示しません）。', 'The body or query is malformed or has unknown fields. `errors` names each field and why (never its value).'),
  'malformed-body': e(400, '本文を読み取れません', 'Unreadable body', '本文が正しい JSON でない、または受け付けない文字や鍵を含みます。', 'The body is not valid JSON, or holds characters or keys that are refused.'),
  'malformed-query': e(400, 'クエリを読み取れません', 'Unreadable query', 'クエリやパスに NUL 文字やプロトタイプ鍵が含まれています。', 'The query or path holds NUL characters or prototype keys.'),
  'malformed-csv': e(400, 'CSV を読み取れません', 'Unreadable CSV', 'CSV の見出し行または引用符が正しくありません。', 'The CSV header or quoting is broken.'),
  'ambiguous-subject': e(400, '対象者の指定が曖昧です', 'Ambiguous subject', '対象者は recordRef か、氏名と生年月日のどちらか一方で指定してください。', 'Name the subject either by recordRef or by full name and birth date, not both.'),
  'idempotency-key-required': e(400, 'Idempotency-Key が必要です', 'Idempotency-Key required', '依頼の作成には Idempotency-Key ヘッダーが必要です。再送時は同じキーを使ってください。', 'Creating a request needs an Idempotency-Key header; send the same key when retrying.'),
  'invalid-request': e(400, 'トークン要求が不正です', 'Invalid token request', 'OAuth の invalid_request：必須パラメータの欠落、重複、形式誤り、またはクライアント認証方式の併用です。', 'OAuth invalid_request: a parameter is missing, repeated or malformed, or the client authenticated in more than one way.'),
  'unsupported-grant-type': e(400, '未対応の grant_type です', 'Unsupported grant type', 'OAuth の unsupported_grant_type：client_credentials のみ対応しています。', 'OAuth unsupported_grant_type: only client_credentials is supported.'),
  'invalid-scope': e(400, 'スコープが許可されていません', 'Scope not granted', 'OAuth の invalid_scope：このクライアントに付与されていないスコープを求めています。', 'OAuth invalid_scope: the scope asked for is not granted to this client.'),
  unauthenticated: e(401, '認証が必要です', 'Authentication required', '有効なアクセストークンが必要です。', 'A valid access token is required.'),
  'invalid-token': e(401, 'トークンが無効です', 'Invalid token', 'トークンがない、署名や有効期限が正しくない、または失効しています。新しいトークンを取得してください。', 'No token, or a token with a bad signature, expired or revoked. Get a new one.'),
  'invalid-client': e(401, 'クライアント認証に失敗しました', 'Client authentication failed', 'OAuth の invalid_client：クライアント ID またはシークレットが違うか、クライアントが失効しています。', 'OAuth invalid_client: the client id or secret is wrong, or the client is revoked.'),
  'sign-in-failed': e(401, 'サインインできません', 'Sign-in failed', 'サインインできませんでした。利用者名、パスワード、TOTP 登録済みなら 6 桁のコードを確認してください。どれが誤っていたかは示しません。', 'Sign-in failed. Check the user name, the password and, once TOTP is enrolled, the 6-digit code; which one was wrong is never said.'),
  forbidden: e(403, '許可されていません', 'Forbidden', 'この操作は許可されていません。', 'You are not allowed to do this.'),
  'insufficient-permission': e(403, '権限がありません', 'Insufficient permission', 'あなたのロールまたはスコープではこの操作はできません。', 'Your role or scope does not allow this.'),
  'no-policy': e(403, 'アクセス規則がありません', 'No access policy', 'この経路にはアクセス規則が定められていないため、誰にも許可されません。', 'This route has no access policy, so it is refused to everyone.'),
  'mfa-required': e(403, '二要素認証の登録が必要です', 'TOTP enrolment required', 'TOTP を登録して確認するまで、この経路は使えません。', 'Enrol and verify TOTP before using this route.'),
  'safeguards-not-active': e(403, '安全管理措置が有効ではありません', 'Safeguards not active', '貴団体の安全管理措置が登録・確認され有効になるまで、依頼や情報の受領はできません。', 'Your organisation cannot request or receive data until its safeguards are registered, verified and active.'),
  'erasure-overdue': e(403, '消去の確認が期限を過ぎています', 'Erasure attestation overdue', '貴団体は期限を過ぎた消去の確認（POST /requests/{id}/erasure）を提出していません。提出するまで新たな依頼はできません（ポリシーの blockOnOverdueErasure）。', 'Your organisation owes an erasure attestation past its due date (POST /requests/{id}/erasure); new requests are refused until it is made (the policy’s blockOnOverdueErasure).'),
  'requester-cannot-decide': e(403, '依頼元は判断できません', 'Requester cannot decide', '依頼した団体は自らの依頼を承認・却下できません。', 'The requesting organisation cannot decide its own request.'),
  'second-approval-rules': e(403, '二次承認の条件を満たしません', 'Second-approval rules', '要配慮の区分は、同じ機関の別の上席による二次承認が必要です。', 'A sensitive category needs a second approval by a different supervisor of the same agency.'),
  'not-approved': e(403, '承認されていません', 'Not approved', 'この依頼は承認されていないため、情報は提供されません。', 'This request is not approved, so no data is disclosed.'),
  'approval-revoked': e(403, '承認が取り消されました', 'Approval revoked', '承認は取り消されました。以後の取得はできません。', 'The approval was revoked; no further retrieval is possible.'),
  'access-window-closed': e(403, '取得期間が終了しました', 'Access window closed', '承認された取得期間が終わっています。', 'The approved access window has ended.'),
  'retrievals-exhausted': e(403, '取得回数の上限です', 'Retrievals exhausted', '承認された取得回数をすべて使いました。', 'Every approved retrieval has been used.'),
  'not-found': e(404, '見つかりません', 'Not found', '対象が存在しないか、あなたには見えません（他団体の対象の有無は明かしません）。', 'It does not exist or is not visible to you (whether another organisation’s object exists is never revealed).'),
  'method-not-allowed': e(405, 'メソッドが使えません', 'Method not allowed', 'この経路ではこのメソッドは使えません。', 'This method is not allowed on this route.'),
  conflict: e(409, '状態が競合しています', 'Conflict', '対象の状態と競合しています。最新の状態を取得してから再度行ってください。', 'The change conflicts with the current state; read it again and retry.'),
  'idempotency-key-reused': e(409, 'Idempotency-Key の再利用', 'Idempotency key reused', '同じ Idempotency-Key が異なる本文で使われました。新しい依頼には新しいキーを使ってください。', 'The Idempotency-Key was used with a different body; use a new key for a new request.'),
  'erasure-not-due': e(409, '消去の確認の対象ではありません', 'No erasure owed', 'この依頼は、情報の取得後に終了（期間満了・回数到達・取消し）していないため、消去の確認は不要です。', 'This request has not ended after data was retrieved (window closed, exhausted or revoked), so no erasure attestation is owed.'),
  'erasure-already-attested': e(409, '消去の確認は提出済みです', 'Erasure already attested', 'この依頼の消去の確認は既に提出されています。', 'The erasure of this request was attested already.'),
  'request-already-decided': e(409, '判断済みです', 'Already decided', 'この依頼は既に判断されています。', 'This request has already been decided.'),
  'request-already-assigned': e(409, '他の職員が担当しています', 'Taken by another officer', 'この依頼は既に他の職員が担当しています。担当者が外れるまで担当できません。', 'Another officer has already taken this request; it cannot be taken until they release it.'),
  'request-state-conflict': e(409, '依頼の状態が合いません', 'Request state conflict', '依頼の現在の状態ではこの操作はできません。', 'The request’s current state does not allow this.'),
  'safeguard-state-conflict': e(409, '安全管理措置の状態が合いません', 'Safeguards state conflict', '安全管理措置の現在の状態ではこの操作はできません。', 'The safeguards’ current state does not allow this.'),
  'duplicate-local-government-code': e(409, '団体コードの重複', 'Duplicate local government code', 'この地方公共団体コードは既に登録されています。', 'This local government code is already registered.'),
  'delivery-pending': e(409, '配信中です', 'Delivery pending', 'この配信はまだ試行中です。成功または失敗が確定してから再送してください。', 'This delivery is still being attempted; send it again once it has succeeded or failed.'),
  'webhook-disabled': e(409, 'Webhook が停止されています', 'Webhook disabled', '5 日間配信が失敗し続けたため、この Webhook は停止されました。受信側を直してから ping を送り、成功すると再開します。', 'The webhook was disabled after its deliveries failed for 5 days. Fix the receiver and send a ping: a successful ping enables it again.'),
  'username-taken': e(409, 'ユーザー名の重複', 'Username taken', 'このユーザー名は使われています。', 'This username is taken.'),
  'mfa-already-enrolled': e(409, 'TOTP 登録済み', 'TOTP already enrolled', 'TOTP は既に有効です。再設定は管理者が行います。', 'TOTP is already active for this account; an administrator can reset it.'),
  'mfa-not-started': e(409, 'TOTP 登録が始まっていません', 'TOTP enrolment not started', '先に POST /auth/mfa/enroll で登録を始めてください。', 'Start the enrolment with POST /auth/mfa/enroll first.'),
  'payload-too-large': e(413, '本文が大きすぎます', 'Content too large', '本文が上限を超えています。', 'The body exceeds the limit.'),
  'unsupported-media-type': e(415, '受け付けない形式です', 'Unsupported media type', 'この Content-Type はここでは受け付けません（UTF-8 のみ）。', 'This content type is not accepted here (UTF-8 only).'),
  unprocessable: e(422, '規則に反します', 'Rule broken', '形式は正しいものの、業務規則に反します。', 'Well-formed, but it breaks a rule.'),
  'disposed-on-in-future': e(422, '消去日が未来です', 'Disposal date in the future', 'disposedOn（消去した日、日本時間）が未来の日付です。', 'disposedOn (the day of disposal, Japan time) lies in the future.'),
  'category-not-allowed': e(422, '区分が目的に合いません', 'Category not allowed', '求めた情報区分は、この目的では認められていません。', 'A category asked for is not allowed for this purpose.'),
  'purpose-not-registered': e(422, '目的が登録されていません', 'Purpose not registered', 'この目的は貴団体の安全管理措置に登録されていません。', 'This purpose is not among your registered safeguards’ purposes.'),
  'ordinance-required': e(422, '条例が必要です', 'Ordinance required', '条例に基づく事業の目的には、条例を法的根拠とする安全管理措置が必要です。', 'The ordinance programme purpose needs safeguards citing an ordinance as legal basis.'),
  'subject-not-found': e(422, '対象者が見つかりません', 'Subject not found', '対象者が見つからないか、貴団体の管轄外です（両者は区別されません）。', 'No such subject, or outside your jurisdiction (the two are indistinguishable).'),
  'categories-widened': e(422, '区分を広げられません', 'Categories widened', '承認では依頼された区分を狭めることはできますが、広げることはできません。', 'An approval may narrow the requested categories, never widen them.'),
  'approval-limit-exceeded': e(422, '承認の上限を超えています', 'Approval limit exceeded', '取得期間または取得回数が方針の上限を超えています。', 'The access window or the number of retrievals exceeds the policy’s limit.'),
  'valid-until-in-past': e(422, '有効期限が過去です', 'Valid-until in the past', '有効期限には将来の日付を指定してください。', 'validUntil must lie in the future.'),
  'safeguard-measures-incomplete': e(422, '措置が不足しています', 'Measures incomplete', '必須の安全管理措置が不足しています。`errors` に不足するコードが示されます。', 'Required safeguard measures are missing; `errors` names the missing codes.'),
  'scope-not-allowed': e(422, 'スコープが団体種別に合いません', 'Scope not allowed', 'このスコープはこの種別の団体には付与できません。', 'These scopes do not fit this kind of organisation.'),
  'invalid-local-government-code': e(422, '団体コードが不正です', 'Invalid local government code', '地方公共団体コードは 6 桁で、検査数字が正しい必要があります。', 'A local government code has 6 digits with a valid check digit.'),
  'local-government-code-not-applicable': e(422, '団体コードは不要です', 'Code not applicable', '地方公共団体コードは市区町村と都道府県だけが持ちます。', 'Only municipalities and prefectures carry a local government code.'),
  'not-a-local-government': e(422, '地方公共団体ではありません', 'Not a local government', 'この操作は市区町村または都道府県だけが行えます。', 'Only a municipality or prefecture can do this.'),
  'webhook-url-not-allowed': e(422, 'この URL には送信できません', 'Webhook URL not allowed', 'Webhook の送信先は https の URL に限ります。私設・ループバック・リンクローカル等の公開されていないアドレス、URL 内の認証情報やフラグメントは受け付けません。`errors` に理由が示されます。', 'A webhook endpoint must be an https URL. Private, loopback, link-local and other non-public addresses, credentials in the URL and fragments are refused; `errors` says why.'),
  'organization-required': e(422, '団体の指定が必要です', 'Organisation required', '管理者が Webhook を登録するときは、所属させる団体を organizationId で指定してください。', 'An administrator registering a webhook names the organisation it belongs to in organizationId.'),
  'unknown-organization': e(422, '団体が存在しません', 'Unknown organisation', '指定した団体は存在しません。', 'The organisation does not exist.'),
  'unknown-parent': e(422, '親団体が存在しません', 'Unknown parent', '指定した親団体は存在しません。', 'The parent organisation does not exist.'),
  'parent-mismatch': e(422, '親団体が合いません', 'Parent mismatch', '市区町村の親は、団体コードの上 2 桁が同じ都道府県です。', 'A municipality’s parent is the prefecture with the same first two code digits.'),
  'role-not-allowed': e(422, 'ロールが団体種別に合いません', 'Role not allowed', 'このロールはこの種別の団体の職員には付与できません。', 'These roles do not fit this kind of organisation.'),
  'not-a-holder': e(422, '保有機関ではありません', 'Not a holder', '出所者等情報を保有するのは矯正施設と保護観察所だけです。', 'Only correctional facilities and probation offices hold records.'),
  'invalid-record': e(422, '記録が規則に反します', 'Invalid record', '記録が規則に反します。`errors` に項目名と理由が示されます。', 'The record breaks a rule; `errors` names each field and why.'),
  'empty-import': e(422, '取込データが空です', 'Empty import', '取込データに行がありません。', 'The import holds no lines.'),
  'import-too-large': e(422, '取込行数が多すぎます', 'Import too large', '一度に取り込める行数の上限を超えています。分割してください。', 'Too many lines for one import; split it.'),
  'unknown-audit-event': e(422, '監査イベントが存在しません', 'Unknown audit event', '確認記録が参照する監査イベントIDのいずれかが存在しません。`errors` にそのIDが示されます。', 'The review names an audit event id that does not exist; `errors` names it.'),
  'proof-out-of-range': e(422, '証明の範囲外です', 'Proof out of range', '指定した木のサイズまたは索引が封印済みの範囲外です。', 'The tree size or index lies outside the sealed log.'),
  'invalid-note': e(400, '署名付きノートが不正です', 'Invalid signed note', '検証に渡されたチェックポイント（署名付きノート）を読み取れないか、このログのものではありません。', 'A checkpoint note given for verification cannot be read or is not one of this log’s.'),
  'sign-in-throttled': e(429, 'サインインを一時停止しています', 'Sign-in paused', 'このアカウントへのこの接続元からの（または接続元全体からの）サインイン失敗が続いたため、Retry-After の秒数だけ停止しています。他の接続元からのサインインには影響しません。', 'Too many failed sign-ins for this account from your address (or from your address in all); wait the seconds in Retry-After. Sign-in from other addresses is not affected.'),
  'verification-busy': e(429, '監査ログの検証が混み合っています', 'Audit log verification busy', 'このインスタンスでは監査ログの検証を一度に一つずつ行い、待ちは二つまでです。Retry-After の秒数の後に再試行してください。', 'This instance verifies the audit log one at a time, with at most two waiting; retry after the seconds in Retry-After.'),
  'rate-limited': e(429, 'リクエストが多すぎます', 'Too many requests', '短時間に多くのリクエストがありました。Retry-After の秒数だけ待ってください。', 'Too many requests in a short time; wait the seconds in Retry-After.'),
  internal: e(500, '内部エラー', 'Internal error', '予期しないエラーです。報告の際は requestId を伝えてください。', 'An unexpected error occurred; quote the requestId when reporting it.'),
  unavailable: e(503, '利用できません', 'Service unavailable', '一時的に利用できません。Retry-After の秒数の後に再試行してください。', 'Temporarily unavailable; retry after the seconds in Retry-After.'),
  'database-unavailable': e(503, 'データベースに接続できません', 'Database unavailable', 'データベースに一時的に接続できません。Retry-After の秒数の後に再試行してください。', 'The database is unavailable for a moment; retry after the seconds in Retry-After.'),
} satisfies Record<string, ProblemTypeEntry>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export function isProblemSlug(slug: string): slug is ProblemSlug {
  return Object.prototype.hasOwnProperty.call(PROBLEM_TYPES, slug);
}
