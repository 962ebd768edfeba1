/**
 * Reads $GITHUB_OUTPUT / $GITHUB_ENV files the way the Actions runner does, so tests see exactly the
 * entries a later step would: `NAME=VALUE` lines, and `NAME<<DELIMITER` blocks that end at the first
 * line equal to the delimiter. Lines end at "\n" (the runner splits on LF off Windows). Written after
 * actions/runner src/Runner.Worker/FileCommandManager.cs (SetEnvFileCommand / SetOutputFileCommand):
 * an entry set twice keeps its last value, and a malformed line fails the step.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const lines = text.split("\n");
  // A trailing newline leaves one empty element that is not a line.
  if (lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const equals = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      entries[line.slice(0, equals)] = line.slice(equals + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!name || !delimiter) throw new Error(`invalid entry ${JSON.stringify(line)}`);
      const value: string[] = [];
      for (i++; ; i++) {
        if (i >= lines.length) throw new Error(`matching delimiter not found: ${delimiter}`);
        if (lines[i] === delimiter) break;
        value.push(lines[i]);
      }
      entries[name] = value.join("\n");
    } else {
      throw new Error(`invalid entry ${JSON.stringify(line)}`);
    }
  }
  return entries;
}
