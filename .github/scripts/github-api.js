// The GitHub REST API with the job's GITHUB_TOKEN (whatever `permissions:` the job granted it).
"use strict";

class GitHubApiError extends Error {
  constructor(method, route, status, message) {
    super(`GitHub API ${method} ${route}: HTTP ${status}${message ? ` (${message})` : ""}`);
    this.status = status;
  }
}

/** Calls `route` (e.g. `/repos/o/r/issues`) and returns the decoded JSON body (undefined for 204). */
async function githubApi(method, route, body, env = process.env) {
  const token = env.GITHUB_TOKEN;
  if (!token)
    throw new Error("GITHUB_TOKEN is not set: pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step");
  const base = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/$/, "");
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "mlstack-ci",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) throw new GitHubApiError(method, route, response.status, data && data.message);
  return data;
}

/** `owner/name` of the repository the job runs in. */
function repository(env = process.env) {
  const repo = env.GITHUB_REPOSITORY;
  if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo))
    throw new Error(`GITHUB_REPOSITORY is not owner/name: ${repo}`);
  return repo;
}

module.exports = { githubApi, repository, GitHubApiError };
