/** Ends a console request with a 303 redirect (sign-in needed, or Post/Redirect/Get after a form). */
export class ConsoleRedirect extends Error {
  constructor(readonly location: string) {
    super('redirect');
  }
}

/** A console form arrived without its CSRF token, or with a wrong one. */
export class CsrfError extends Error {
  constructor() {
    super('csrf');
  }
}
