//! Parser for Go `text/template`: items from the lexer become a small AST whose nodes keep
//! their byte position, following Go's `parse/parse.go` grammar and error messages.
//!
//! Function names are resolved here, once, against the set's [`FuncMap`] and the builtins,
//! so execution never looks a name up; an unknown function is a parse error, as in Go.
//! Each `{{define}}`/`{{block}}` becomes its own [`Tree`], sharing the source text of the
//! file so that execution errors can report line and column.

use crate::template::HashMap;
use std::fmt::{self, Write as _};
use std::rc::Rc;

use super::error::TemplateError;
use super::funcs::builtin::Builtin;
use super::funcs::{FuncMap, Function, NativeFn};
use super::lexer::{lex, Item, ItemKind};
use super::value::Value;

/// Bytes that stay the same, at the same place, for as long as any clone of them lives:
/// a template's trees refer to them instead of keeping a copy (see [`Source`]).
///
/// # Safety
/// `stable_bytes` must return the same slice (same memory, same contents) on every call,
/// from every thread, for the value's whole life.
pub unsafe trait StableBytes: Send + Sync + 'static {
    fn stable_bytes(&self) -> &[u8];
}

// SAFETY: an `Arc<[u8]>` has no interior mutability: its bytes never change or move.
unsafe impl StableBytes for std::sync::Arc<[u8]> {
    fn stable_bytes(&self) -> &[u8] {
        self
    }
}

/// The text of a template file, shared by its trees: the engine's own copy, or bytes the
/// caller shares (a chart's file, parsed on a helper thread), checked once to be UTF-8.
/// Only [`Source::shared`] makes the second kind, so the check cannot be skipped.
#[derive(Clone)]
pub(crate) struct Source(Repr);

#[derive(Clone)]
enum Repr {
    Own(Rc<str>),
    /// Checked to be UTF-8 when made.
    Shared(std::sync::Arc<dyn StableBytes>),
}

impl Source {
    /// `bytes` as a source, if they are UTF-8.
    pub fn shared(bytes: std::sync::Arc<dyn StableBytes>) -> Option<Source> {
        std::str::from_utf8(bytes.stable_bytes()).ok()?;
        Some(Source(Repr::Shared(bytes)))
    }
}

impl From<Rc<str>> for Source {
    fn from(text: Rc<str>) -> Source {
        Source(Repr::Own(text))
    }
}

/// A copy of `text`, the engine's own.
impl From<&str> for Source {
    fn from(text: &str) -> Source {
        Source(Repr::Own(Rc::from(text)))
    }
}

impl std::ops::Deref for Source {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Own(text) => text,
            Repr::Shared(bytes) => {
                let bytes = bytes.stable_bytes();
                // SAFETY: `Source::shared`, the only maker of `Repr::Shared`, checked these
                // bytes to be UTF-8, and `StableBytes` promises the same bytes on every call.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({} bytes)", self.len())
    }
}

/// One parsed template: a file's top level, or a `define`/`block` body.
#[derive(Debug)]
pub(crate) struct Tree {
    /// The template's name (`define` name, or file name for the top level).
    pub name: Rc<str>,
    /// The file it was parsed from (Go's `ParseName`), for error messages.
    pub parse_name: Rc<str>,
    /// The file's source: the text of its text nodes, and positions into line and column.
    pub src: Source,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's `IsEmptyTree`: nothing but whitespace text (and comments).
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            Node::Text(t) => t.of(&self.src).trim_ascii().is_empty(),
            _ => false,
        })
    }

    /// Line (1-based) and column (0-based byte offset in the line) of `pos`, as Go's
    /// `ErrorContext` computes them.
    pub fn location(&self, pos: usize) -> (usize, usize) {
        let text = self.src.get(..pos).unwrap_or(&self.src);
        let line = 1 + text.bytes().filter(|&b| b == b'\n').count();
        let col = match text.rfind('\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        (line, col)
    }
}

/// A run of plain text: where it lies in the source of its tree ([`Tree::src`]), which
/// holds the text (templates of CRD charts are megabytes of text, which would otherwise be
/// held twice, and a node holds no reference it would have to count).
pub(crate) struct Text {
    start: usize,
    end: usize,
}

impl Text {
    /// The text, in `src`, the source of the tree the node belongs to.
    #[inline]
    pub fn of<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or_default()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({}..{})", self.start, self.end)
    }
}

#[derive(Debug)]
///
/// Kept small (40 bytes): node lists are the bulk of a parsed template, and nodes move
/// through every parser result, so the larger parts are boxed.
pub(crate) enum Node {
    Text(Text),
    Action(Box<Pipe>),
    If(Box<Control>),
    With(Box<Control>),
    Range(Box<Control>),
    Template {
        pos: usize,
        name: Rc<str>,
        pipe: Option<Box<Pipe>>,
    },
    Break(usize),
    Continue(usize),
}

/// The shared shape of `if`, `with` and `range`.
#[derive(Debug)]
pub(crate) struct Control {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    /// Declared or assigned variables, with their names including `$`.
    pub decl: Vec<Rc<str>>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// A resolved function. Host functions are kept by name (and looked up in the set's
/// [`FuncMap`] when called) so that a tree holds nothing shared with the map: trees can then
/// be parsed on another thread (see [`ParsedFile`]).
#[derive(Clone, Copy)]
pub(crate) enum Func {
    Builtin(Builtin),
    Native(NativeFn),
    Host(&'static str),
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Func::Builtin(b) => write!(f, "builtin {b:?}"),
            Func::Native(_) | Func::Host(_) => f.write_str("user function"),
        }
    }
}

/// The names a parser resolves function identifiers against: a thread-safe view of a
/// [`FuncMap`] (plain function pointers, and host functions by name).
#[derive(Clone, Default)]
pub(crate) struct FuncNames {
    names: HashMap<&'static str, Func>,
}

impl FuncNames {
    pub fn new(map: &FuncMap) -> FuncNames {
        let names = map
            .entries()
            .map(|(name, f)| {
                let func = match f {
                    Function::Native(n) => Func::Native(*n),
                    Function::Host(_) => Func::Host(name),
                };
                (name, func)
            })
            .collect();
        FuncNames { names }
    }

    fn get(&self, name: &str) -> Option<Func> {
        self.names.get(name).copied()
    }
}

/// The outcome of parsing one file, made to be handed from the thread that parsed it to
/// the one that will execute it.
pub(crate) struct ParsedFile(pub Result<Vec<Tree>, Box<TemplateError>>);

// SAFETY: the trees (and the error) hold `Rc`s, which are not thread-safe because clones
// on two threads could update one count concurrently. Every `Rc` in a `ParsedFile` was
// created by `parse` on the thread that built it (all names are copied into fresh `Rc`s
// there, and the source text too unless it is shared bytes, held by an `Arc` of a
// `Send + Sync` owner; functions are referred to by plain pointers or static names, never
// by a clone of the caller's `FuncMap`), and that thread keeps no clone once it hands the
// `ParsedFile` over. Moving the whole graph therefore moves sole ownership, like moving a
// `Box`; only the thread-safe `Arc`s of shared sources are ever shared between threads.
unsafe impl Send for ParsedFile {}

impl ParsedFile {
    /// The same parse under the file name `name`, or `None` for a failed parse (its
    /// messages name the file: parsed again under the right name). The file name appears
    /// only as the top-level tree's name and as every tree's `parse_name`: nothing else a
    /// parse builds depends on it.
    pub(crate) fn renamed(self, name: &str) -> Option<ParsedFile> {
        let mut trees = self.0.ok()?;
        let name: Rc<str> = Rc::from(name);
        for (i, tree) in trees.iter_mut().enumerate() {
            if i == 0 {
                tree.name = Rc::clone(&name);
            }
            tree.parse_name = Rc::clone(&name);
        }
        Some(ParsedFile(Ok(trees)))
    }
}

/// Parse `src` on the current thread into a [`ParsedFile`] that may be sent to another one
/// (the source is copied into a fresh `Rc`, see the safety note on [`ParsedFile`]).
pub(crate) fn parse_detached(name: &str, src: &str, funcs: &FuncNames) -> ParsedFile {
    ParsedFile(parse(name, src.into(), funcs))
}

/// [`parse_detached`] for bytes shared with the caller, which the trees refer to instead of
/// copying them; `None` when they are not UTF-8.
pub(crate) fn parse_shared(
    name: &str,
    bytes: std::sync::Arc<dyn StableBytes>,
    funcs: &FuncNames,
) -> Option<ParsedFile> {
    Some(ParsedFile(parse(name, Source::shared(bytes)?, funcs)))
}

/// An operand of a command.
#[derive(Debug)]
pub(crate) enum Arg {
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    /// A number constant: its source text and its value as Go's `idealConstant` types it
    /// (`int` unless it looks like a float), or the overflow error Go reports when used.
    Number {
        pos: usize,
        text: Box<str>,
        value: Result<Value, String>,
    },
    String {
        pos: usize,
        quoted: Rc<str>,
        value: Value,
    },
    /// `.a.b.c`
    Field {
        pos: usize,
        idents: Vec<Rc<str>>,
    },
    /// `$x.a.b`: name is `$x`, idents `[a, b]`.
    Variable {
        pos: usize,
        name: Rc<str>,
        idents: Vec<Rc<str>>,
    },
    Identifier {
        pos: usize,
        name: Rc<str>,
        func: Func,
    },
    Pipe(Box<Pipe>),
    /// `(pipeline).a.b` or `ident.a`.
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<Rc<str>>,
    },
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Dot(p) | Arg::Nil(p) | Arg::Bool(p, _) => *p,
            Arg::Number { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// ---- Go's node String() forms (used as error context) ----

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { name, idents, .. } => {
                f.write_str(name)?;
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Pipe(p) => write!(f, "({p})"),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(v)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &[Node], src: &str) -> fmt::Result {
    for node in list {
        write!(f, "{}", Shown { node, src })?;
    }
    Ok(())
}

/// A node as Go's `String()` prints it; `src` is the source of the node's tree (text
/// nodes are positions in it).
pub(crate) struct Shown<'a> {
    pub node: &'a Node,
    pub src: &'a str,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let src = self.src;
        let control = |f: &mut fmt::Formatter<'_>, kw: &str, c: &Control| -> fmt::Result {
            write!(f, "{{{{{kw} {}}}}}", c.pipe)?;
            write_list(f, &c.list, src)?;
            if let Some(e) = &c.else_list {
                f.write_str("{{else}}")?;
                write_list(f, e, src)?;
            }
            f.write_str("{{end}}")
        };
        match self.node {
            Node::Text(t) => f.write_str(&crate::template::gofmt::quote(t.of(src))),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(c) => control(f, "if", c),
            Node::With(c) => control(f, "with", c),
            Node::Range(c) => control(f, "range", c),
            Node::Template { name, pipe, .. } => match pipe {
                Some(p) => write!(
                    f,
                    "{{{{template {} {p}}}}}",
                    crate::template::gofmt::quote(name)
                ),
                None => write!(
                    f,
                    "{{{{template {}}}}}",
                    crate::template::gofmt::quote(name)
                ),
            },
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

/// What ends an item list.
enum End {
    End,
    Else,
}

/// Parse `src` (a file named `name`). Returns the trees in definition order: the file's
/// own top level first, then every `define`/`block`.
pub(crate) fn parse(
    name: &str,
    src_rc: Source,
    funcs: &FuncNames,
) -> Result<Vec<Tree>, Box<TemplateError>> {
    let name_rc: Rc<str> = Rc::from(name);
    let lexed = lex(&src_rc);
    // Sized for the file up front (growing them was 1% of a large render): roughly one
    // distinct name per 16 items and one distinct string constant per 32.
    let items = lexed.items.len();
    let names = HashMap::with_capacity_and_hasher((items / 16).min(512), Default::default());
    let literals = HashMap::with_capacity_and_hasher((items / 32).min(256), Default::default());
    let mut p = Parser {
        items: lexed.items,
        lex_error: lexed.error.unwrap_or_default(),
        idx: 0,
        max_fetched: 0,
        parse_name: name_rc.clone(),
        src: src_rc.clone(),
        funcs,
        vars: vec![Rc::from("$")],
        range_depth: 0,
        action_pos: None,
        defs: Vec::new(),
        names,
        node_stack: Vec::new(),
        arg_stack: Vec::new(),
        cmd_stack: Vec::new(),
        literals,
    };
    let root = p.parse_top();
    super::lexer::recycle(std::mem::take(&mut p.items));
    let root = root?;
    let mut out = Vec::with_capacity(1 + p.defs.len());
    out.push(Tree {
        name: name_rc,
        parse_name: p.parse_name.clone(),
        src: p.src.clone(),
        root,
    });
    out.extend(p.defs);
    Ok(out)
}

struct Parser<'f, 's> {
    items: Vec<Item<'s>>,
    /// Go's message for the `Error` item that ends `items`, if any.
    lex_error: String,
    idx: usize,
    max_fetched: usize,
    parse_name: Rc<str>,
    src: Source,
    funcs: &'f FuncNames,
    vars: Vec<Rc<str>>,
    range_depth: usize,
    /// Where the action being parsed started (for "in action started at" messages).
    action_pos: Option<usize>,
    /// Definitions found so far (name → tree), in order.
    defs: Vec<Tree>,
    /// Field, variable and function names seen so far: each distinct name is allocated
    /// once per file and shared (`.Values` appears hundreds of times in a chart).
    names: HashMap<&'s str, Rc<str>>,
    /// Scratch stacks: node lists, command arguments and pipeline commands are gathered
    /// here and moved into vectors of exactly their length (a parsed chart holds a hundred
    /// thousand small vectors; grown one push at a time they had twice the memory).
    /// Nested constructs use the part above where their enclosing one started.
    node_stack: Vec<Node>,
    arg_stack: Vec<Arg>,
    cmd_stack: Vec<Command>,
    /// String constants seen so far by their source text: each distinct literal (template
    /// names of `include`, mostly) is unquoted and allocated once per file.
    literals: HashMap<&'s str, (Rc<str>, Value)>,
}

/// Boxed for the same reason as the executor's results.
type PResult<T> = Result<T, Box<TemplateError>>;

impl<'s> Parser<'_, 's> {
    fn item(&self, i: usize) -> &Item<'s> {
        // The item list always ends with Eof or Error; clamp to it.
        let last = self.items.len().saturating_sub(1);
        &self.items[i.min(last)]
    }

    /// The next item, consumed. Also Go's `nextNonSpace`: the lexer marks white space on the
    /// item after it ([`Item::space`]) instead of making an item of it.
    fn next(&mut self) -> Item<'s> {
        let it = *self.item(self.idx);
        if self.idx < self.items.len() {
            self.idx += 1;
        }
        self.max_fetched = self.max_fetched.max(self.idx);
        it
    }

    /// The next item, left in place. Also Go's `peekNonSpace` (see [`Parser::next`]).
    fn peek(&mut self) -> Item<'s> {
        let it = *self.item(self.idx);
        self.max_fetched = self.max_fetched.max(self.idx + 1);
        it
    }

    /// The shared copy of `name` (see [`Parser::names`]).
    fn name(&mut self, name: &'s str) -> Rc<str> {
        Rc::clone(self.names.entry(name).or_insert_with(|| Rc::from(name)))
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    /// The 1-based line of byte offset `pos` (only needed for error messages).
    fn line_of(&self, pos: usize) -> usize {
        let before = self
            .src
            .as_bytes()
            .get(..pos)
            .unwrap_or(self.src.as_bytes());
        1 + before.iter().filter(|&&b| b == b'\n').count()
    }

    /// Go reports the line of the most recently lexed token.
    fn errorf(&self, msg: impl Into<String>) -> Box<TemplateError> {
        let line = self.line_of(self.item(self.max_fetched.saturating_sub(1)).pos);
        Box::new(TemplateError::parse(&self.parse_name, line, msg))
    }

    fn unexpected(&self, item: &Item<'_>, context: &str) -> Box<TemplateError> {
        if item.kind == ItemKind::Error {
            let item = Item {
                val: &self.lex_error,
                ..*item
            };
            let mut extra = String::new();
            let action_line = self.action_pos.map(|pos| self.line_of(pos));
            if let Some(action_line) = action_line.filter(|&l| l != self.line_of(item.pos)) {
                extra = format!(" in action started at {}:{}", self.parse_name, action_line);
                if item.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{item}{extra}"));
        }
        self.errorf(format!("unexpected {item} in {context}"))
    }

    fn expect(&mut self, kind: ItemKind, context: &str) -> PResult<Item<'s>> {
        let it = self.next();
        if it.kind != kind {
            return Err(self.unexpected(&it, context));
        }
        Ok(it)
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let start = self.node_stack.len();
        while self.peek().kind != ItemKind::Eof {
            if self.peek().kind == ItemKind::LeftDelim {
                let save = self.idx;
                let delim = self.next();
                let _ = delim;
                if self.next().kind == ItemKind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => self.node_stack.push(n),
                Parsed::End => return Err(self.errorf("unexpected {{end}}")),
                Parsed::Else => return Err(self.errorf("unexpected {{else}}")),
            }
        }
        Ok(self.node_stack.drain(start..).collect())
    }

    fn add_tree(&mut self, name: Rc<str>, root: Vec<Node>) -> PResult<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            src: self.src.clone(),
            root,
        };
        if let Some(existing) = self.defs.iter_mut().find(|t| t.name == name) {
            if existing.is_empty() {
                *existing = tree;
            } else if !tree.is_empty() {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    crate::template::gofmt::quote(&name)
                )));
            }
            return Ok(());
        }
        self.defs.push(tree);
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name_item = self.next();
        if !matches!(name_item.kind, ItemKind::String | ItemKind::RawString) {
            return Err(self.unexpected(&name_item, CONTEXT));
        }
        let name = unquote(name_item.val).map_err(|e| self.errorf(e))?;
        self.expect(ItemKind::RightDelim, CONTEXT)?;
        // A definition has its own variable scope.
        let saved_vars = std::mem::replace(&mut self.vars, vec![Rc::from("$")]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if let End::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        self.add_tree(Rc::from(name), list)
    }

    /// textOrAction* up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> PResult<(Vec<Node>, End)> {
        let start = self.node_stack.len();
        while self.peek().kind != ItemKind::Eof {
            let end = match self.text_or_action()? {
                Parsed::Node(n) => {
                    self.node_stack.push(n);
                    continue;
                }
                Parsed::End => End::End,
                Parsed::Else => End::Else,
            };
            return Ok((self.node_stack.drain(start..).collect(), end));
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let tok = self.next();
        match tok.kind {
            ItemKind::Text => Ok(Parsed::Node(Node::Text(Text {
                start: tok.pos,
                end: tok.pos + tok.val.len(),
            }))),
            ItemKind::LeftDelim => {
                self.action_pos = Some(tok.pos);
                let r = self.action();
                self.action_pos = None;
                r
            }
            _ => Err(self.unexpected(&tok, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let tok = self.next();
        match tok.kind {
            ItemKind::Block => return self.block_control().map(Parsed::Node),
            ItemKind::Break => return self.break_control(tok.pos, true).map(Parsed::Node),
            ItemKind::Continue => return self.break_control(tok.pos, false).map(Parsed::Node),
            ItemKind::Else => return self.else_control(),
            ItemKind::End => {
                self.expect(ItemKind::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemKind::If => {
                return self
                    .control("if")
                    .map(|c| Parsed::Node(Node::If(Box::new(c))))
            }
            ItemKind::Range => {
                return self
                    .control("range")
                    .map(|c| Parsed::Node(Node::Range(Box::new(c))))
            }
            ItemKind::With => {
                return self
                    .control("with")
                    .map(|c| Parsed::Node(Node::With(Box::new(c))))
            }
            ItemKind::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", ItemKind::RightDelim)?;
        Ok(Parsed::Node(Node::Action(Box::new(pipe))))
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> PResult<Node> {
        let ctx = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let t = self.next();
        if t.kind != ItemKind::RightDelim {
            return Err(self.unexpected(&t, ctx));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{ctx} outside {{{{range}}}}")));
        }
        Ok(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek();
        if matches!(peek.kind, ItemKind::If | ItemKind::With) {
            // `{{else if ...` is `{{else}}{{if ...`: leave the keyword pending.
            return Ok(Parsed::Else);
        }
        self.expect(ItemKind::RightDelim, "else")?;
        Ok(Parsed::Else)
    }

    fn control(&mut self, context: &str) -> PResult<Control> {
        let mark = self.vars.len();
        let r = self.control_inner(context);
        self.vars.truncate(mark);
        r
    }

    fn control_inner(&mut self, context: &str) -> PResult<Control> {
        let pipe = self.pipeline(context, ItemKind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, end) = r?;
        let mut else_list = None;
        if let End::Else = end {
            let next = self.peek().kind;
            if context == "if" && next == ItemKind::If {
                self.next();
                let c = self.control("if")?;
                else_list = Some(vec![Node::If(Box::new(c))]);
            } else if context == "with" && next == ItemKind::With {
                self.next();
                let c = self.control("with")?;
                else_list = Some(vec![Node::With(Box::new(c))]);
            } else {
                let (list2, end2) = self.item_list()?;
                if let End::Else = end2 {
                    return Err(self.errorf("expected end; found {{else}}"));
                }
                else_list = Some(list2);
            }
        }
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn parse_template_name(&mut self, tok: &Item<'_>, context: &str) -> PResult<String> {
        match tok.kind {
            ItemKind::String | ItemKind::RawString => unquote(tok.val).map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(tok, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let tok = self.next();
        let name = self.parse_template_name(&tok, CONTEXT)?;
        let mut pipe = None;
        if self.next().kind != ItemKind::RightDelim {
            self.backup();
            pipe = Some(Box::new(self.pipeline(CONTEXT, ItemKind::RightDelim)?));
        }
        Ok(Node::Template {
            pos: tok.pos,
            name: Rc::from(name),
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let tok = self.next();
        let name = self.parse_template_name(&tok, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemKind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec![Rc::from("$")]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        let (list, end) = r?;
        if let End::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        let name: Rc<str> = Rc::from(name);
        self.add_tree(name.clone(), list)?;
        Ok(Node::Template {
            pos: tok.pos,
            name,
            pipe: Some(Box::new(pipe)),
        })
    }

    fn pipeline(&mut self, context: &str, end: ItemKind) -> PResult<Pipe> {
        let tok = self.peek();
        let mut pipe = Pipe {
            pos: tok.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        let start = self.cmd_stack.len();
        // Declarations or assignments.
        'decls: loop {
            let v = self.peek();
            if v.kind != ItemKind::Variable {
                break;
            }
            let save = self.idx;
            self.next();
            let next = self.peek();
            match next.kind {
                ItemKind::Assign | ItemKind::Declare => {
                    pipe.is_assign = next.kind == ItemKind::Assign;
                    self.next();
                    let name = self.name(v.val);
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    break 'decls;
                }
                ItemKind::Char if next.val == "," => {
                    self.next();
                    let name = self.name(v.val);
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek().kind {
                            ItemKind::Variable | ItemKind::RightDelim | ItemKind::RightParen => {
                                continue 'decls;
                            }
                            _ => return Err(self.errorf("range can only initialize variables")),
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ => {
                    self.idx = save;
                    break 'decls;
                }
            }
        }
        loop {
            let tok = self.next();
            if tok.kind == end {
                pipe.cmds = self.cmd_stack.drain(start..).collect();
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match tok.kind {
                ItemKind::Bool
                | ItemKind::CharConstant
                | ItemKind::Complex
                | ItemKind::Dot
                | ItemKind::Field
                | ItemKind::Identifier
                | ItemKind::Number
                | ItemKind::Nil
                | ItemKind::RawString
                | ItemKind::String
                | ItemKind::Variable
                | ItemKind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    self.cmd_stack.push(cmd);
                }
                _ => return Err(self.unexpected(&tok, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..)
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek().pos;
        let start = self.arg_stack.len();
        loop {
            let operand = self.operand()?;
            let found = operand.is_some();
            if let Some(op) = operand {
                self.arg_stack.push(op);
            }
            // Go reads the item after the operand: a space goes on to the next operand,
            // a closing delimiter or parenthesis ends the command (and is left for the
            // caller), a pipe ends it here, and anything else is an error.
            let tok = self.peek();
            match tok.kind {
                ItemKind::RightDelim | ItemKind::RightParen => {}
                ItemKind::Pipe => {
                    self.next();
                }
                _ if found && tok.space => continue,
                _ => {
                    self.next();
                    return Err(self.unexpected(&tok, "operand"));
                }
            }
            break;
        }
        if self.arg_stack.len() == start {
            return Err(self.errorf("empty command"));
        }
        Ok(Command {
            pos,
            args: self.arg_stack.drain(start..).collect(),
        })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        // Fields chain onto the operand only where no space parts them.
        let is_chained = |item: &Item<'_>| item.kind == ItemKind::Field && !item.space;
        let next = self.peek();
        if !is_chained(&next) {
            return Ok(Some(node));
        }
        let chain_pos = next.pos;
        let chained = self.idx
            ..self.idx
                + self.items[self.idx..]
                    .iter()
                    .take_while(|item| is_chained(item))
                    .count();
        self.idx = chained.end;
        self.max_fetched = self.max_fetched.max(self.idx + 1);
        // One vector of exactly the chain's length (with the operand's own names first).
        let chain = |mut idents: Vec<Rc<str>>, parser: &mut Self| {
            idents.reserve_exact(chained.len());
            for i in chained.clone() {
                let field = parser.items[i].val;
                idents.push(parser.name(field.get(1..).unwrap_or("")));
            }
            idents
        };
        // Fields and variables absorb the chain (Go keeps the chain's position).
        Ok(Some(match node {
            Arg::Field { idents, .. } => {
                let idents = chain(idents, self);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { name, idents, .. } => {
                let idents = chain(idents, self);
                Arg::Variable {
                    pos: chain_pos,
                    name,
                    idents,
                }
            }
            Arg::Bool(..) | Arg::String { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    crate::template::gofmt::quote(&node.to_string())
                )));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields: chain(Vec::new(), self),
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let tok = self.next();
        let arg = match tok.kind {
            ItemKind::Identifier => {
                let func = match self.funcs.get(tok.val) {
                    Some(f) => f,
                    None => match Builtin::from_name(tok.val) {
                        Some(b) => Func::Builtin(b),
                        None => {
                            return Err(self.errorf(format!(
                                "function {} not defined",
                                crate::template::gofmt::quote(tok.val)
                            )))
                        }
                    },
                };
                Arg::Identifier {
                    pos: tok.pos,
                    name: self.name(tok.val),
                    func,
                }
            }
            ItemKind::Dot => Arg::Dot(tok.pos),
            ItemKind::Nil => Arg::Nil(tok.pos),
            ItemKind::Variable => self.use_var(tok.pos, tok.val)?,
            ItemKind::Field => Arg::Field {
                pos: tok.pos,
                idents: vec![self.name(tok.val.get(1..).unwrap_or(""))],
            },
            ItemKind::Bool => Arg::Bool(tok.pos, tok.val == "true"),
            ItemKind::CharConstant | ItemKind::Complex | ItemKind::Number => {
                let value = parse_number(tok.val, tok.kind).map_err(|e| self.errorf(e))?;
                Arg::Number {
                    pos: tok.pos,
                    text: Box::from(tok.val),
                    value,
                }
            }
            ItemKind::LeftParen => Arg::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", ItemKind::RightParen)?,
            )),
            ItemKind::String | ItemKind::RawString => {
                let (quoted, value) = match self.literals.get(tok.val) {
                    Some((quoted, value)) => (Rc::clone(quoted), value.clone()),
                    None => {
                        let s = unquote(tok.val).map_err(|e| self.errorf(e))?;
                        let literal = (Rc::from(tok.val), Value::string(s));
                        self.literals.insert(tok.val, literal.clone());
                        literal
                    }
                };
                Arg::String {
                    pos: tok.pos,
                    quoted,
                    value,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }

    fn use_var(&mut self, pos: usize, val: &'s str) -> PResult<Arg> {
        // `$x.y` is lexed as variable `$x` followed by fields; `val` is just `$x`.
        if !self.vars.iter().any(|v| &**v == val) {
            return Err(self.errorf(format!(
                "undefined variable {}",
                crate::template::gofmt::quote(val)
            )));
        }
        Ok(Arg::Variable {
            pos,
            name: self.name(val),
            idents: Vec::new(),
        })
    }
}

enum Parsed {
    Node(Node),
    End,
    Else,
}

/// `strconv.Unquote` for the three Go literal forms.
pub(crate) fn unquote(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err("invalid syntax".to_string());
    }
    let (q, last) = (bytes[0], bytes[bytes.len() - 1]);
    if q != last {
        return Err("invalid syntax".to_string());
    }
    let inner = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if inner.contains('`') {
                return Err("invalid syntax".to_string());
            }
            Ok(inner.replace('\r', ""))
        }
        // Most strings have no escapes: no character-by-character copy for them.
        b'"' if !inner.bytes().any(|b| b == q || b == b'\\' || b == b'\n') => Ok(inner.to_string()),
        b'"' | b'\'' => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if c == q as char {
                    return Err("invalid syntax".to_string());
                }
                if c == '\n' {
                    return Err("invalid syntax".to_string());
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let e = chars.next().ok_or("invalid syntax")?;
                match e {
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    '\\' => out.push('\\'),
                    '\'' if q == b'\'' => out.push('\''),
                    '"' if q == b'"' => out.push('"'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v: u32 = 0;
                        for _ in 0..n {
                            let d = chars
                                .next()
                                .and_then(|c| c.to_digit(16))
                                .ok_or("invalid syntax")?;
                            v = v * 16 + d;
                        }
                        if e == 'x' {
                            // A byte; Go strings may hold invalid UTF-8, we keep valid text.
                            match char::from_u32(v) {
                                Some(c) if v < 0x80 => out.push(c),
                                _ => out.push(char::from_u32(v).unwrap_or('\u{fffd}')),
                            }
                        } else {
                            out.push(char::from_u32(v).ok_or("invalid syntax")?);
                        }
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let d = chars
                                .next()
                                .and_then(|c| c.to_digit(8))
                                .ok_or("invalid syntax")?;
                            v = v * 8 + d;
                        }
                        if v > 255 {
                            return Err("invalid syntax".to_string());
                        }
                        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    _ => return Err("invalid syntax".to_string()),
                }
            }
            if q == b'\'' && out.chars().count() != 1 {
                return Err("invalid syntax".to_string());
            }
            Ok(out)
        }
        _ => Err("invalid syntax".to_string()),
    }
}

/// Go's `newNumber` + `idealConstant`: the constant's value when used where any type is
/// accepted. Returns Err(parse error message) for malformed numbers, and Ok(Err(exec
/// message)) for numbers that parse but cannot be represented.
fn parse_number(text: &str, kind: ItemKind) -> Result<Result<Value, String>, String> {
    if kind == ItemKind::CharConstant {
        let s = unquote(text).map_err(|_| format!("malformed character constant: {text}"))?;
        let c = s
            .chars()
            .next()
            .ok_or_else(|| format!("malformed character constant: {text}"))?;
        return Ok(Ok(Value::int(i64::from(u32::from(c)))));
    }
    if kind == ItemKind::Complex || text.ends_with('i') {
        return Err(format!("complex constants are not supported: {text}"));
    }
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let is_hex = lower.starts_with("0x");
    let int_parse = if is_hex {
        u64::from_str_radix(&lower[2..], 16).ok()
    } else if let Some(r) = lower.strip_prefix("0o") {
        u64::from_str_radix(r, 8).ok()
    } else if let Some(r) = lower.strip_prefix("0b") {
        u64::from_str_radix(r, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        u64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
        lower.parse::<u64>().ok()
    } else {
        None
    };
    let looks_float = !is_hex && text.contains(['.', 'e', 'E', 'p', 'P']);
    if let (Some(mag), false) = (int_parse, looks_float) {
        let v: i128 = if neg { -(mag as i128) } else { mag as i128 };
        return Ok(match i64::try_from(v) {
            Ok(i) => Ok(Value::int(i)),
            Err(_) => Err(format!("{text} overflows int")),
        });
    }
    let f = if is_hex {
        parse_hex_float(&lower[2..])
    } else {
        lower.parse::<f64>().ok()
    };
    match f {
        // A float that looks like an integer is an integer too large for 64 bits.
        Some(_) if !text.contains(['.', 'e', 'E', 'p', 'P']) => Err(format!(
            "integer overflow: {}",
            crate::template::gofmt::quote(text)
        )),
        Some(f) if f.is_finite() => Ok(Ok(Value::Float(if neg { -f } else { f }))),
        _ => Err(format!(
            "illegal number syntax: {}",
            crate::template::gofmt::quote(text)
        )),
    }
}

/// Hex float mantissa `1.8p3` (after `0x`).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(src: &str) -> String {
        match parse("t", src.into(), &FuncNames::default()) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        }
    }

    fn action_string(src: &str) -> String {
        let trees = parse("t", src.into(), &FuncNames::default()).unwrap();
        trees[0]
            .root
            .iter()
            .map(|node| {
                Shown {
                    node,
                    src: &trees[0].src,
                }
                .to_string()
            })
            .collect()
    }

    #[test]
    fn node_strings_like_go() {
        assert_eq!(
            action_string("{{ .a.b  |  printf \"%s\" }}"),
            "{{.a.b | printf \"%s\"}}"
        );
        assert_eq!(
            action_string("{{ $x := (len .).y }}"),
            "{{$x := (len .).y}}"
        );
        assert_eq!(
            action_string("{{if eq 1 2}}a{{else}}b{{end}}"),
            "{{if eq 1 2}}\"a\"{{else}}\"b\"{{end}}"
        );
        assert_eq!(action_string("{{template `x` .}}"), "{{template \"x\" .}}");
        assert_eq!(
            action_string("{{ 0x1F }} {{ 'a' }} {{ 1e3 }}"),
            "{{0x1F}}\" \"{{'a'}}\" \"{{1e3}}"
        );
    }

    #[test]
    fn numbers() {
        let n = |s: &str| parse_number(s, ItemKind::Number).unwrap();
        assert_eq!(n("0x1F"), Ok(Value::int(31)));
        assert_eq!(n("0o17"), Ok(Value::int(15)));
        assert_eq!(n("017"), Ok(Value::int(15)));
        assert_eq!(n("0b101"), Ok(Value::int(5)));
        assert_eq!(n("1_000"), Ok(Value::int(1000)));
        assert_eq!(n("-3"), Ok(Value::int(-3)));
        assert_eq!(n("1.5"), Ok(Value::Float(1.5)));
        assert_eq!(n("1e3"), Ok(Value::Float(1000.0)));
        assert_eq!(n("0x1p-2"), Ok(Value::Float(0.25)));
        assert_eq!(
            n("9223372036854775808"),
            Err("9223372036854775808 overflows int".to_string())
        );
        assert_eq!(
            parse_number("99999999999999999999", ItemKind::Number),
            Err("integer overflow: \"99999999999999999999\"".to_string())
        );
    }

    #[test]
    fn unquote_go_escapes() {
        assert_eq!(unquote(r#""a\tb\x41\u00e9\101""#).unwrap(), "a\tbAéA");
        assert_eq!(unquote("`a\\n`").unwrap(), "a\\n");
        assert!(unquote(r#""\q""#).is_err());
    }

    // Messages checked against helm 4 (Go 1.2x text/template).
    #[test]
    fn parse_errors_like_go() {
        assert_eq!(
            parse_err("{{ foo }}"),
            "template: t:1: function \"foo\" not defined"
        );
        assert_eq!(parse_err("a\n{{ if 1 }}"), "template: t:2: unexpected EOF");
        assert_eq!(parse_err("{{ end }}"), "template: t:1: unexpected {{end}}");
        assert_eq!(
            parse_err("{{ else }}"),
            "template: t:1: unexpected {{else}}"
        );
        assert_eq!(
            parse_err("{{ $x }}"),
            "template: t:1: undefined variable \"$x\""
        );
        assert_eq!(parse_err("{{ .a"), "template: t:1: unclosed action");
        assert_eq!(
            parse_err("{{ .a\n\n"),
            "template: t:3: unclosed action started at t:1"
        );
        assert_eq!(
            parse_err("{{ break }}"),
            "template: t:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            parse_err("{{ }}"),
            "template: t:1: missing value for command"
        );
        assert_eq!(
            parse_err("{{ 1 | 2 }}"),
            "template: t:1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            parse_err("{{ \"a\".b }}"),
            "template: t:1: unexpected . after term \"\\\"a\\\"\""
        );
        assert_eq!(
            parse_err("{{ range $a, $b, $c := . }}{{end}}"),
            "template: t:1: too many declarations in range"
        );
        assert_eq!(
            parse_err("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}"),
            "template: t:1: template: multiple definition of template \"a\""
        );
        assert_eq!(
            parse_err("{{ if 1 }}{{ else }}{{ else }}{{ end }}"),
            "template: t:1: expected end; found {{else}}"
        );
        assert_eq!(
            parse_err("{{ template . }}"),
            "template: t:1: unexpected <.> in template clause"
        );
        assert_eq!(parse_err("{{ (1 }}"), "template: t:1: unclosed left paren");
        assert_eq!(
            parse_err("{{ 3x }}"),
            "template: t:1: bad number syntax: \"3x\""
        );
    }

    #[test]
    fn shared_sources_are_checked_to_be_utf8() {
        let bad: std::sync::Arc<[u8]> = std::sync::Arc::from(&b"a\xffb"[..]);
        assert!(Source::shared(std::sync::Arc::new(bad)).is_none());
        let good: std::sync::Arc<[u8]> = std::sync::Arc::from(&b"a{{ 1 }}b"[..]);
        let src = Source::shared(std::sync::Arc::new(good)).unwrap();
        assert_eq!(&*src, "a{{ 1 }}b");
        // Trees parsed from it read their text through it.
        let trees = parse("t", src, &FuncNames::default()).unwrap();
        assert!(!trees[0].is_empty());
        assert_eq!(action_string("a{{ 1 }}b"), "\"a\"{{1}}\"b\"");
    }

    #[test]
    fn defines_and_blocks_become_trees() {
        let trees = parse(
            "f",
            "a{{define \"x\"}}X{{end}}{{block \"y\" .}}Y{{end}}".into(),
            &FuncNames::default(),
        )
        .unwrap();
        let names: Vec<&str> = trees.iter().map(|t| &*t.name).collect();
        assert_eq!(names, vec!["f", "x", "y"]);
        assert_eq!(&*trees[1].parse_name, "f");
    }
}
