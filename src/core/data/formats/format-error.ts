// A record that cannot become a pair. The message is shown to the user as the reason the line
// was rejected, so it says in plain words which field is wrong and what was expected.
export class FormatError extends Error {
  override name = 'FormatError';
}
