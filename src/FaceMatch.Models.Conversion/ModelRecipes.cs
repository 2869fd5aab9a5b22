using FaceMatch.Models.Conversion.FaceApi;
using FaceMatch.Models.Conversion.Faceplugin;
using FaceMatch.Models.Conversion.Tfjs;

namespace FaceMatch.Models.Conversion;

/// <summary>Every model `facematch models convert` produces, in manifest order.</summary>
public static class ModelRecipes
{
    public static IReadOnlyList<IModelRecipe> All { get; } =
    [
        .. HumanModels.All.Select(spec => new TfjsModelRecipe(spec)),
        new FaceApiRecognitionRecipe(),
        new FaceApiSsdMobilenetV1Recipe(),
        new FaceApiLandmark68Recipe(),
        .. FacepluginModels.All.Select(m => new FacepluginRecipe(m)),
    ];
}
