/// The console's stylesheet, served at `/console/console.css`: plain CSS, no framework. Every page
/// links it (the console's CSP allows styles from its own origin only, never inline).
enum ConsoleStylesheet {
    static let path = "/console/console.css"

    static let css = """
        :root { --ink: #1d1d1f; --muted: #505055; --line: #d0d0d6; --accent: #0b57d0; --warn: #8a4b00;
                --bad: #a40000; --good: #1e6b2f; --paper: #ffffff; --band: #f3f4f7; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, sans-serif; color: var(--ink); background: var(--paper); line-height: 1.45; }
        header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between;
                 padding: .8rem 1.5rem; background: var(--band); border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
        header form { display: inline; margin: 0; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
        a { color: var(--accent); }
        h1 { font-size: 1.6rem; margin: 1rem 0; }
        h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: var(--band); font-weight: 600; }
        code, .mono { font-family: ui-monospace, monospace; font-size: .9rem; overflow-wrap: anywhere; }
        .muted { color: var(--muted); }
        .state { display: inline-block; padding: 0 .45rem; border-radius: .6rem; border: 1px solid currentColor; font-size: .85rem; }
        .state-pending { color: var(--muted); }
        .state-active { color: var(--good); }
        .state-verify-only { color: var(--accent); }
        .state-retired { color: var(--muted); }
        .state-revoked { color: var(--bad); }
        .warning { color: var(--warn); font-weight: 600; }
        .error { color: var(--bad); }
        label { display: block; margin: .8rem 0 .2rem; }
        input[type=text], input[type=password] { width: 100%; max-width: 26rem; padding: .4rem; }
        select, textarea { width: 100%; max-width: 26rem; padding: .4rem; font: inherit; }
        fieldset { max-width: 26rem; margin: .8rem 0; border: 1px solid var(--line); }
        fieldset label { display: inline-block; margin: .2rem 1rem .2rem 0; }
        td form { margin: .2rem 0; }
        td label { display: inline; margin: 0 .4rem 0 0; }
        td input[type=text] { width: 14rem; }
        .secret { font-size: 1.1rem; padding: .3rem .5rem; background: var(--band); }
        button { padding: .45rem 1.1rem; font: inherit; cursor: pointer; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
        .signin { max-width: 30rem; }
        .signin section { margin: 1.5rem 0; padding: 1rem; border: 1px solid var(--line); border-radius: .4rem; }

        """
}
