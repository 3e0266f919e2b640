import type { Browser, Page } from 'playwright-core';
import { TEST_USER_PASSWORD } from '../support/app';

/** The server the console's browser suites drive: the field on, quick polls and offline, one tone provisioned. */
export const CONSOLE_SERVER_ENV = {
  DALABA_FIELD: 'on',
  DALABA_POLL_PAUSE_MS: '100',
  DALABA_OFFLINE_AFTER_SILENCE: '3',
  DALABA_ALARM_CLEAR_AFTER: '0',
  DALABA_START_LEAD_MS: '800',
  DALABA_PROVISION_TONES: 'tone-chime',
  DALABA_PROVISION_RETRY: '5',
};

/** A fresh browser context (its own storage) at a size, zh-CN in China time, logged in through the login page; page errors are collected. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  username: string,
  viewport = { width: 1366, height: 768 },
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseUrl}/`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', TEST_USER_PASSWORD);
  await page.click('form#login button[type=submit]');
  await page.locator('#ov-rate').waitFor();
  return { page, errors };
}
