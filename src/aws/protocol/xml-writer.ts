/**
 * A small streaming XML writer for response documents: elements, attributes and text, escaped once here. Shared by
 * the ec2 and query serialisers and meant for rest-xml too.
 */

export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>';

// Characters XML 1.0 cannot carry at all, not even as references: C0 controls other than tab, newline and carriage
// return, lone surrogates, U+FFFE and U+FFFF. They become U+FFFD so the document stays well formed.
const notXmlChar =
  // eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- as above
const needsTextEscape = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const textSpecial = /[&<>\r]/g;
const attributeSpecial = /[&<>"\r\n\t]/g;
const references: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // Written as references so a parser's line-ending and attribute normalisation gives back what was sent.
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

export function escapeXmlText(text: string): string {
  // Most values need nothing: one test, no copies.
  if (!needsTextEscape.test(text)) return text;
  return text.replace(notXmlChar, '\uFFFD').replace(textSpecial, (c) => references[c] as string);
}

export function escapeXmlAttribute(text: string): string {
  return text.replace(notXmlChar, '\uFFFD').replace(attributeSpecial, (c) => references[c] as string);
}

export class XmlWriter {
  // Appending to one string beats collecting parts and joining them: V8 builds a rope and flattens it once.
  private text = '';

  declaration(): this {
    this.text += xmlDeclaration;
    return this;
  }

  /** `<name a="1">`; attributes with undefined values are left out. */
  open(name: string, attributes?: Readonly<Record<string, string | undefined>>): this {
    let tag = `<${name}`;
    if (attributes) {
      for (const [key, value] of Object.entries(attributes)) {
        if (value !== undefined) tag += ` ${key}="${escapeXmlAttribute(value)}"`;
      }
    }
    this.text += `${tag}>`;
    return this;
  }

  close(name: string): this {
    this.text += `</${name}>`;
    return this;
  }

  /** `<name>text</name>`. */
  element(name: string, text: string, attributes?: Readonly<Record<string, string | undefined>>): this {
    if (attributes) this.open(name, attributes);
    else this.text += `<${name}>`;
    this.text += `${escapeXmlText(text)}</${name}>`;
    return this;
  }

  toString(): string {
    return this.text;
  }
}
