// Login, register and password change forms.
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
${ctx.user ? html`<p class="notice" role="status">You are signed in as ${ctx.user.username}: creating another account signs you out of this one.</p>` : ''}
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

/** Password change: the current password, the new one twice (checked here before the API is asked). */
export function renderPassword(ctx: PageCtx, o: { error?: string; errors?: Record<string, string> } = {}) {
  const body = html`<h1>Change password</h1>
<p>Every other login session of your account is signed out when the password changes; this browser stays signed in. API tokens keep working: revoke them under <a href="/account/tokens">API tokens</a>.</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/account/password" class="stack narrow" data-validate>
  ${csrfField(ctx)}
  <input type="text" name="username" autocomplete="username" value="${ctx.user?.username ?? ''}" hidden>
  <label for="current-password">Current password</label>
  <input id="current-password" name="currentPassword" type="password" autocomplete="current-password" required maxlength="200">
  ${fieldError(o.errors, 'currentPassword')}
  <label for="new-password">New password</label>
  <input id="new-password" name="newPassword" type="password" autocomplete="new-password" required minlength="8" maxlength="72" aria-describedby="new-password-hint">
  <span class="hint" id="new-password-hint">At least 8 characters.</span>
  ${fieldError(o.errors, 'newPassword')}
  <label for="confirm-password">New password again</label>
  <input id="confirm-password" name="confirmPassword" type="password" autocomplete="new-password" required minlength="8" maxlength="72">
  ${fieldError(o.errors, 'confirmPassword')}
  <button type="submit">Change password</button>
</form>`;
  return layout({ title: 'Change password', ctx, body });
}
