using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace AlexNet.Gen.Generator.Tests.Support;

/// <summary>A diagnostic a test expects: its id and where, as marked in the test source.</summary>
internal sealed record ExpectedDiagnostic(string Id, string Path, TextSpan Span);

/// <summary>
/// Test sources mark expected diagnostics as <c>{|ANG0012:text|}</c> (as Roslyn's analyzer-testing markup); the
/// markers are stripped and their spans, in the stripped text, become the expected locations. Markers may nest.
/// </summary>
internal static class Markup
{
    public static (string Text, List<ExpectedDiagnostic> Expected) Parse(string markup, string path)
    {
        var text = new StringBuilder(markup.Length);
        var open = new Stack<(string Id, int Start)>();
        var expected = new List<ExpectedDiagnostic>();
        int i = 0;
        while (i < markup.Length)
        {
            if (markup[i] == '{' && i + 1 < markup.Length && markup[i + 1] == '|')
            {
                int colon = markup.IndexOf(':', i + 2);
                if (colon < 0) throw new ArgumentException($"Marker at {i} in {path} has no ':' after its id.", nameof(markup));
                string id = markup.Substring(i + 2, colon - i - 2);
                if (id.Length == 0 || !IsId(id)) throw new ArgumentException($"Marker at {i} in {path} has an invalid id '{id}'.", nameof(markup));
                open.Push((id, text.Length));
                i = colon + 1;
            }
            else if (markup[i] == '|' && i + 1 < markup.Length && markup[i + 1] == '}')
            {
                if (open.Count == 0) throw new ArgumentException($"Unmatched '|}}' at {i} in {path}.", nameof(markup));
                var (id, start) = open.Pop();
                expected.Add(new ExpectedDiagnostic(id, path, TextSpan.FromBounds(start, text.Length)));
                i += 2;
            }
            else
            {
                text.Append(markup[i]);
                i++;
            }
        }
        if (open.Count > 0) throw new ArgumentException($"Marker '{open.Peek().Id}' in {path} is not closed.", nameof(markup));
        return (text.ToString(), expected);
    }

    private static bool IsId(string id)
    {
        foreach (char c in id)
        {
            if (!(c is >= 'A' and <= 'Z' || c is >= '0' and <= '9')) return false;
        }
        return true;
    }
}
