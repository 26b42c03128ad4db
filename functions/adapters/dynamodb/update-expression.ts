/**
 * `SET #a = :a, #b = :b` for the given attributes, with a placeholder for every name: DynamoDB
 * reserves hundreds of words (name, status, timezone, data...), so no attribute is written bare.
 * `ifNotExists` attributes keep their stored value when they have one.
 */
export function setExpression(values: Readonly<Record<string, unknown>>, options: { ifNotExists?: readonly string[] } = {}) {
  const names: Record<string, string> = {};
  const placeholders: Record<string, unknown> = {};
  const assignments = Object.entries(values).map(([attribute, value], index) => {
    names[`#a${index}`] = attribute;
    placeholders[`:v${index}`] = value;
    return options.ifNotExists?.includes(attribute) ? `#a${index} = if_not_exists(#a${index}, :v${index})` : `#a${index} = :v${index}`;
  });
  return { UpdateExpression: `SET ${assignments.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: placeholders };
}
