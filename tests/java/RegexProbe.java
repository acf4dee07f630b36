// Runs pattern/subject pairs through java.util.regex as Neo4j's =~ does
// (Pattern.compile(pattern).matcher(subject).matches()), for tests/regex_survey.py.
// Input, one case a line: the pattern and the subject as hex UTF-16 code units separated by
// '.', the two fields separated by a space (an empty field is "-"). Output, one line a case:
// "1" (matches), "0" (does not) or "E" (PatternSyntaxException).
// Rebuild the committed class (runs on Java 11 and later): javac --release 11 RegexProbe.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public final class RegexProbe {
    private static String decode(String field) {
        if (field.equals("-")) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (String unit : field.split("\\.")) {
            out.append((char) Integer.parseInt(unit, 16));
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split(" ", -1);
            String answer;
            try {
                answer = Pattern.compile(decode(parts[0])).matcher(decode(parts[1])).matches() ? "1" : "0";
            } catch (PatternSyntaxException e) {
                answer = "E";
            }
            out.append(answer).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }
}
