// Login and register forms.
import { csrfField, fieldError, html, layout, type PageCtx } from '../views.ts';

export function renderLogin(ctx: PageCtx, o: { next?: string; username?: string; error?: string; notice?: string } = {}) {
  const body = html`<h1>Log in</h1>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/login" class="stack narrow">
  ${csrfField(ctx)}
  <input type="hidden" name="next" value="${o.next ?? '/'}">
  <label for="username">User name</label>
  <input id="username" name="username" autocomplete="username" required maxlength="100" value="${o.username ?? ''}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
  <button type="submit">Log in</button>
</form>
<p>No account yet? <a href="/register">Register</a>.</p>`;
  return layout({ title: 'Log in', ctx, body, notice: o.notice });
}

export function renderRegister(
  ctx: PageCtx,
  o: { username?: string; email?: string; error?: string; errors?: Record<string, string> } = {},
) {
  const body = html`<h1>Create an account</h1>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/register" class="stack narrow">
  ${csrfField(ctx)}
  <label for="username">User name</label>
  <input id="username" name="username" autocomplete="username" required minlength="2" maxlength="39" pattern="[a-z0-9][a-z0-9\\-]*" aria-describedby="username-hint" value="${o.username ?? ''}">
  <span class="hint" id="username-hint">Lower-case letters, digits and dashes; it becomes your @scope.</span>
  ${fieldError(o.errors, 'username')}
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="${o.email ?? ''}">
  ${fieldError(o.errors, 'email')}
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="200">
  ${fieldError(o.errors, 'password')}
  <button type="submit">Register</button>
</form>`;
  return layout({ title: 'Register', ctx, body });
}
