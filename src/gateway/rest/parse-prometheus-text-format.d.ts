// The package ships no types; this covers what the tests read (prom2json-compatible output).
declare module 'parse-prometheus-text-format' {
  export interface PrometheusSample {
    readonly labels?: Readonly<Record<string, string>>;
    /** Counters, gauges and untyped metrics. */
    readonly value?: string;
    /**
     * Histograms: count by upper bound (`le`). The parser folds every labelled series of a
     * histogram into one sample and drops their labels, `count` and `sum`: only the bounds are
     * reliable for a histogram with labels.
     */
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }

  export interface PrometheusMetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly PrometheusSample[];
  }

  export default function parsePrometheusTextFormat(text: string): PrometheusMetricFamily[];
}
